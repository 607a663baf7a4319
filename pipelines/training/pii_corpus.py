"""Synthetic training text of the learned PII recognizer (:mod:`privacy.learned`): templates + Faker values.

Every message comes from a hand-written template of this module (bank chats typed in a hurry, polite e-mails,
CRM notes, all-caps nursing handovers, discharge summaries, referral letters, .env / YAML / JSON / INI files,
connection strings, ssh and scp commands, log lines, git config; Chinese chats and clinical notes) whose slots
are filled with values drawn from Faker (locales en_GB, en_US, fr_FR, zh_CN; seeded), from the name lexicons
of :mod:`privacy.lexicon`, and from invented syllable names (so the model does not learn that only listed names
are names). Noise: whole-message lower case or ALL CAPS, dropped punctuation, swapped letters, lower-case
names inside ordinary text, hyphenated and double surnames, names whose first word is a dictionary word
("Rose", "Grant", "Will", "Hope"). Negative messages carry drug names, eponymous diseases, products, amounts,
durations and code identifiers that must stay (all ``O``).

Real negatives: ``pii_negatives.jsonl`` beside this module holds 3,768 texts with no personal data, all ``O``:
1,500 customer messages of BANKING77 (PolyAI, CC BY 4.0), 1,500 answer sentences of MedQuAD (Ben Abacha and
Demner-Fushman 2019, CC BY 4.0; sentences of the medical sample corpus left out) and 768 four-line chunks of
HumanEval prompts and solutions (OpenAI, MIT). They teach the model what ordinary chat, expository medical text
and code look like ("may", "kwargs" and "__init__" are no names or user names). ``pii_negatives_zh.jsonl``
holds 1,200 Chinese questions written for this project (a seeded sample of the Chinese intent training messages
and the first two rounds of Chinese routing questions, without those where the cue rules see a name), drawn by
a generator of their own for 15% of the negative examples (so the rest of the corpus is unchanged): without
them everyday Chinese ("谢谢", "原来", long clauses) was read as names and addresses. (25% cost English names.)

Labels (BIO): the kinds of :data:`privacy.learned.MODEL_LABELS`; values that the exact recognizers own (cards,
phones, e-mails, IBANs, passwords and keys, NI and resident-id numbers) are labelled ``RULE``.

Licence: the templates and word lists here are this project's (Apache-2.0); Faker's data is MIT-licensed; the
negatives keep their licences (BANKING77 and MedQuAD CC BY 4.0, attribution above; HumanEval MIT).
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from privacy.learned import tokenize

__all__ = ["Example", "generate_examples", "to_sequences"]


@dataclass(frozen=True)
class Example:
    """One synthetic message: its text and labelled spans ``(start, end, kind)`` (character offsets)."""

    text: str
    spans: tuple[tuple[int, int, str], ...]

    def _shifted(self, inner: Example) -> Example:
        """This text (which ends with ``inner``'s) labelled with ``inner``'s spans, moved to where it sits."""
        offset = len(self.text) - len(inner.text)
        return Example(self.text, tuple((s + offset, e + offset, k) for s, e, k in inner.spans))


# --------------------------------------------------------------------------------------------------- templates
# Slots: {name} full name, {given} a given name alone, {surname} a surname alone, {addr} a street address,
# {postcode}, {date}, {id}, {plate}, {facility}, {user}, {host}; RULE slots {card} {cvv} {phone} {email}
# {iban} {secret} {nino} {ip}; O fillers {drug} {disease} {product} {amount} {duration} {codeid} {dose} {city}
# {bank} {num}. Chinese: {zname} {zaddr} {zdate} {zid} {zplate} {zfacility} {zphone} {zresid} {zdrug} {zamount}.
_FINANCE_EN = [
    "hi my card was declined at {bank} can u check its {card} exp 09/27 cvv {cvv} name on card {name}",
    "Hello, I am writing about my late father {name}'s account. Please send the forms to {addr}.",
    "need to send {amount} to {name} asap, his acc no is {id} thx",
    "Customer: {name}\nDOB: {date}\nPhone: {phone}\nNote: overdraft review, limit {amount}.",
    "pls reverse the payment i sent to the wrong person, meant to pay {name} not {name}",
    "New address is {addr}. Old one was {addr}. Customer number {id}.",
    "my daughter ({given}) wants a junior account, can she use my address {addr}?",
    "Agent notes 14:02 - caller {name} passed security, card ending 4471, lost in {city}.",
    "my stepdad {name} has power of attorney, he lives at {facility} now so post it there",
    "transfer {amount} to {name} acct {id} thanks",
    "its me again {name}. did the chargeback go through? new card is {card}",
    "SAR for client {name} - account {id} - cash deposits totalling {amount} over {duration}.",
    "dont send anything to the house, my ex {name} still gets the post there. use {addr}",
    "KYC check: passport {id}, name {name}, address {addr}, date of birth {date}",
    "Dear {name},\n\nThank you for your application reference {id}. We will write to you at {addr}.\n\nKind regards,\n{name}",
    "Login issue: user name {user} locked after 3 attempts. Registered mobile {phone}.",
    "forgot my online banking password, username is {user} and my memorable date is {date}",
    "please pay invoice {id} to {facility} (where my son goes), they bank with {bank}",
    "the direct debit for {name} (customer ref {id}) bounced again, her mobile is {phone}",
    "Car finance query - reg plate {plate}, agreement no. {id}. Customer: Mr {name}, {addr}.",
    "my husband {name} born {date} is the member of pension plan {id}",
    "Reminder: call back Mrs {surname} re loan {id} on {phone} after 3pm.",
    "joint account holders {name} and {name}, statement address {addr}",
    "Tax residency self-cert: US person YES. Address {addr}. Email {email}.",
    "I want to close the {product} and move {amount} to my {product}. IBAN {iban}",
    "hey its {given} here, can you freeze my card, i think {name} has been using it",
    "Beneficiary: {name}\nBank: {bank}\nIBAN: {iban}\nReference: {id}",
    "mortgage application for {name} and {name} at {addr}, valuation booked {date}",
    "my mum {name} is in {facility} and cant get to a branch, can i pay her bills",
    "PAYEE {name} SORT 20-45-77 ACC {id} REF {id}",
    "Hi, {given} from accounts. Could you confirm {name}'s NI number {nino} is on file?",
    "my name's {name} and my brother {given} opened the account for me",
    "sent {amount} to {user} on the app yesterday but it never arrived",
    "complaint from {name} ({email}) about the {product} fees, case {id}",
    "appointment with {name} at our {city} branch on {date} about {product}",
    "thanks, {given}",
    "cheers {given}",
    "- {given}",
    "CARD {card} EXP 0228 CVV2 {cvv} CARDHOLDER {name}",
    "i'm {given}, my mum {name} banks with you too",
    "hey its {name} again, any news on my {product} refund?",
    "ref student no {id} name {name}",
    "the money is for {given} ({relation}) - please add {name} as a payee",
    "my {relation} {name} will call you from {phone}",
    "{relation} {given} has my card details, is that ok",
    "Statement address: {addr}",
    "pls send to {addr} not the old place",
    "joint acct holders {given} + {name}, address {addr}",
    "his customer id is {id} and his name is {name}",
    "policy number {id} for {name}, renewal on {date}",
    "Client {name} (ref {id}) called about {product}. Advised {amount} fee applies.",
    "Payment of {amount} to {name} on {date}, reference {id}",
    "{name}\n{addr}\n\nDear Sir or Madam, I dispute the {amount} charge on my {product}.",
    "our accountants Grant Thornton asked for the statements, {product} and {product}, for {name}",
    "paid with Klarna, the Marcus savings account and {product}; nothing from {name} yet",
    "meant to pay {name} not {name}",
    "name on account: {name}. online id {user}",
    "login {user} / memorable word {secret}",
    "deceased customer: {name}, date of death {date}, executor {name}, {addr}",
    "Card holder {name}, card {card}, cvc {cvv}, billing postcode {postcode}",
]
_MEDICAL_EN = [
    "PT {name} DOB {date} ADM {date} MRN {id} BED 12 WARD 7B. NOK {name} (DAUGHTER) {phone}",
    "Discharge summary\nPatient: {name}\nDate of admission: {date}\nDate of discharge: {date}\nHospital number: {id}\nDiagnosis: {disease}. Started {drug} {dose}.",
    "Dear Dr {surname},\n\nI would be grateful if you could see {name} (DOB {date}, NHS {id}) who lives at {addr} with {disease}.\n\nYours sincerely,\nDr {name}",
    "handover: {name} bed 4 admitted {date} with {disease}, on {drug} {dose}, son {given} visiting",
    "pt {name} from {facility} seen in clinic {date}, reg no {id}",
    "Referral for {name}, resident at {facility}, {addr}. GP: Dr {surname}.",
    "NOK: {name} (wife), tel {phone}. Pt lives alone at {addr}.",
    "{name} was admitted on {date} and discharged on {date}; follow up {duration} with {drug}.",
    "ADMITTED {date} FROM {facility}. MRN {id}. HX {disease}. MEDS {drug} {dose}.",
    "Seen by {name} (physio) on {date}; mobilising with frame. Daughter ({given}) aware.",
    "Patient ID {id}, name {name}, DOB {date}, address {addr}, contact {email}",
    "my dad {name} has {disease} and takes {drug}, his hospital number is {id}",
    "Dx {disease}. Plan: {drug} {dose} for {duration}. Review by Dr {name} on {date}.",
    "Ambulance crew: pt {name}, vehicle {plate}, conveyed from {addr} to ED.",
    "Surgery date {date} for {name} (MRN: {id}); consent signed by {name} (son).",
    "nursing note {date} 22:00 - {name} settled, obs stable, wife {given} phoned",
    "The patient, {name}, a resident of {facility}, was reviewed on {date}.",
    "can i get a repeat of {drug}? its for my mother {name}, dob {date}",
    "appt confirmation: {name}, {date} at 10:30, {facility}, ref {id}",
    "Ward round: {surname} {given}, bed 9, {disease}, plan d/c {date}",
    "PT: {name} HOSP NO: {id}. D/C {date} TO HOME ({addr}). DN TO VISIT {date}.",
    "NIGHT NOTES - PT {name} {date}. GCS 14. CONTACT {relation} {given}.",
    "hey, i'm {given}. i took {drug} {duration} ago, is that ok? pls text dont call",
    "MHA S2 - PT {name}, ADM {date} TO {facility}. ADDRESS {addr}. CPN: {name}.",
    "SAFEGUARDING: {name} (AGE 6) ATTENDED WITH {relation}. ATTENDS {facility}. HOME ADDRESS {addr}.",
    "my son {given} ({name}) has asthma, school is {facility}, he uses a {drug} inhaler",
    "{relation} ({given}) visited today, pt {surname} settled",
    "D/C summary: {name}, adm {date}, d/c {date}, MRN {id}, to {facility}",
    "Re: {name}, DOB {date}, NHS No {id}\nThank you for referring this {num} year old with {disease}.",
    "Pt is a resident of {facility} ({addr}); NOK {relation} {name} {phone}",
    "{given} {surname}, {date}: seen with {relation}; plan {drug} {dose}",
    "ADM {date} D/C {date} WARD 5 BED 2 MRN {id} PT {name} NOK {name} ({relation})",
    "regards, Dr {name}, {facility}",
]
_CODE_ZH = [
    "测试环境连不上数据库，配置是 postgres://{user}:{secret}@{host}:5432/crm ，谁帮我看看？",
    "ssh {user}@{ip} 登进去以后执行 systemctl restart nginx，密码问{zname}要",
    "报错日志：{zdate} ERROR 用户 {user} 从 {ip} 登录失败，原因：密码错误",
    "scp ./release.zip {user}@{host}:/opt/app/ 提示 Permission denied，昨天{zname}还能传",
    "[mysql]\nhost={host}\nuser={user}\npassword={secret}\n; {zname} 添加",
    "代码评审：@{user} 这里的 max_retries 写死了，另外跳板机 {host} 的地址别写在代码里",
    "# 生产配置，勿提交\nredis:\n  host: {host}\n  password: {secret}\n# 负责人：{zname}",
    "jdbc:mysql://{host}:3306/emr?user={user}&password={secret}",
]
_CODE_EN = [
    "DATABASE_URL=postgres://{user}:{secret}@{host}:5432/billing",
    "ssh {user}@{host} -i ~/.ssh/id_ed25519",
    "scp ./dump.sql {user}@{host}:/home/{user}/backups/",
    "[client]\nuser = {user}\npassword = {secret}\nhost = {host}\nport = 3306",
    'db:\n  host: {host}\n  username: {user}\n  password: "{secret}"\n  pool: 5',
    '{"host": "{host}", "user": "{user}", "timeout": 30, "retries": 3}',
    "2024-03-01 12:00:03 ERROR auth failed for user {user} from {ip} on {host}",
    'Traceback (most recent call last):\n  File "/home/{user}/app/main.py", line 12, in {codeid}\nConnectionError: cannot reach {host}:6379',
    "[user]\n\tname = {name}\n\temail = {email}",
    'git config --global user.name "{name}"',
    "mongodb://{user}:{secret}@{host}:27017/admin?authSource=admin",
    "REDIS_HOST={host}\nREDIS_USER={user}\nMAX_RETRIES=5",
    "why does {codeid} fail when {host} is down? i'm running as {user}",
    "Author: {name} <{email}>\nDate: {date}\n\n    fix {codeid}",
    "kubectl exec -it api-7f9c -- psql -h {host} -U {user} orders",
    "Jenkins build #812 started by {user} on agent {host}",
    "sudo -u {user} rsync -av /srv/data/ {host}:/mnt/archive/",
    "[{date} 09:14:55] INFO session opened for user {user} by (uid=0) host={host}",
    "curl -H 'Authorization: Bearer {secret}' https://{host}/api/v1/users",
    "# maintainer: {name}, on-call {phone}\nSMTP_HOST={host}\nSMTP_USER={user}",
    "my colleague {name} wrote {codeid} but it throws on {host}",
    "ping {host} works but {codeid} times out after {duration}",
    "hey can someone review my PR? @{user} said it's fine but CI fails on {codeid}. branch feature/{user}-fix",
    "# owners\n/src/payments/  @{user} @{user}\n/src/ledger/    @{user}",
    'User.objects.create(username="{user}", email="{email}", first_name="{given}", last_name="{surname}")',
    "Host prod-db\n    HostName {ip}\n    User {user}\n    IdentityFile ~/.ssh/id_rsa\n    ProxyJump {host}",
    "my .pgpass: {host}:5432:*:{user}:{secret}",
    "Server={host};Database=Ledger;User Id=CORP\\{user};Password={secret};",
    "ldapsearch -H ldap://{host} -D 'cn={user},ou=Service,dc=corp,dc=local' -w '{secret}'",
    '  File "C:\\Users\\{user}\\AppData\\Local\\Programs\\Python\\lib\\ssl.py", line 1342',
    "set HTTPS_PROXY=http://{user}:{secret}@{host}:3128 and pip still fails",
    "ran ssh {user}@{ip} from my laptop (hostname: {host}) and got Host key verification failed. {given}, platform team",
    '{"smtp_host": "{host}", "smtp_user": "{user}", "smtp_pass": "{secret}"}',
    "spring:\n  datasource:\n    url: jdbc:mysql://{host}:3306/payroll\n    username: {user}",
    "git clone ssh://git@{host}:2222/team/repo.git fails for me (user {user}) but works for {given}",
    "the cron job on {host} runs as {user} and rsync to {ip} fails",
    "GITHUB_TOKEN={secret}\n# owner is {user}",
    "amqp://{user}:{secret}@{host}:5672/prod",
    "Jun 12 04:02:17 {host} sshd[22841]: Accepted publickey for {user} from {ip} port 53122 ssh2",
    "the new VPN endpoint is {host}, log in with your AD username (e.g. {user}). Questions to {name}.",
    "conn = psycopg2.connect(host='{host}', user='{user}', password='{secret}')",
    'const ADMIN = { user: "{user}", pass: "{secret}" };',
    "customer_id={id} card={card} reason=expired",
    "request from {ip} path=/api/accounts/{id}/statement status=200",
    "Slack: hey {given}, the staging box {host} is down again - {given}",
    "pip install from pypi.org works, but github.com and {host} time out",
    "mongodb+srv://{user}:{secret}@{host}/customers?retryWrites=true",
    "redis:\n  host: {host}\n  password: {secret}\n# owner: {name}",
]
_NEGATIVE_EN = [
    "Take {drug} {dose} twice daily for {duration}; check renal function if {disease} is suspected.",
    "{disease} is managed with {drug}; review in {duration}.",
    "The {product} costs {amount} per month, and the {product} has a {num}% interest rate.",
    "Rose Gold card holders get {num}% cashback on {product} purchases over {amount}.",
    "The Summer Saver account pays {num}% AER for {duration}.",
    "Will you be able to pay {amount} by Friday? Hope that helps.",
    "Mark the form as complete and Grant Thornton will audit the figures.",
    "Symptoms of Bell's palsy and Graves' disease can overlap with {disease}.",
    "Call {codeid}() with max_retries=3 before {codeid} in Python 3.11.",
    "Set timeout to {duration} and run kubectl apply -f deploy.yaml.",
    "Glasgow Coma Scale 14, Apgar 9; start {drug} {dose} stat.",
    "use {codeid} instead of {codeid}, the hook reruns on every render",
    "PARKINSON'S DISEASE ON {drug} {dose} TDS, REVIEW IN {duration}",
    "the {product} fee went up to {amount}, is there a cheaper {product}?",
    "pip install requests==2.31 and import {codeid} from utils",
    "Addison's disease, Crohn's disease and Hodgkin lymphoma were ruled out.",
    "paid {amount} with Apple Pay at {bank} on the Jubilee line",
    "{drug} {dose} od, {drug} {dose} bd, stop {drug} after {duration}",
    "Victoria line delays; Amazon Prime renewal {amount}; Visa Platinum limit {amount}.",
    "CREATE INDEX idx_orders_user ON orders(user_id); -- speeds up {codeid}",
    "Faith in the {product} is low after the {amount} charge.",
    "Dawn patrol: the {codeid} job runs at 05:00 UTC every day.",
    "{brand} and {brand} both support {product}; fees from {amount}.",
    "the {brand} report says {product} rates rose {num}% in {duration}",
    "{brand} pipeline failed on {codeid}; retry with {codeid} after {duration}",
    "Started {drug} {dose} for {disease}; {drug} held for {duration}.",
    "Run pytest -k {codeid} on Python 3.12 with {brand} and Docker Compose.",
    "The Dawn release of {codeid} changes how {codeid} handles {duration} timeouts.",
    "{brand} index fell {num}% while {brand} shares rose",
    "Check application.yml and server.port before restarting {brand}.",
    "pypi.org and github.com are reachable; registry.npmjs.org is not",
    "{disease}: {drug} {dose} mane, review with Glasgow Coma Scale hourly for {duration}",
]
_FINANCE_ZH = [
    "你好，我叫{zname}，我的卡号是{card}，麻烦帮我冻结一下",
    "请把新卡寄到{zaddr}，收件人{zname}，电话{zphone}",
    "客户{zname}，身份证号{zresid}，地址{zaddr}",
    "我妈妈{zname}住在{zfacility}，不方便去网点，能帮她办理吗",
    "转账{zamount}给{zname}，用支付宝还是微信支付比较快？",
    "{zname}于{zdate}开户，客户编号{zid}",
    "我老公{zname}的车牌号是{zplate}，车贷合同号{zid}",
    "你好我是{zname}，上个月在{zdate}还了{zamount}，为什么还显示逾期",
    "客户{zname}（客户号 {zid}）于{zdate}申请车贷，车牌号{zplate}，月供{zamount}，期限{zduration}。",
    "跟{zname}约好了{zdate}在{zaddr}见面",
    "姓名{name} / {zname}，申请境外汇款，收款账户 IBAN {iban}",
    "网银登录名 {user}，我忘了密码，能重置吗？",
    "我叫{zname}，{zdate}在{zbank}开的户，地址是{zaddr}",
    "收款人：{zname}，开户行：{zbank}，账号：{zid}",
]
_MEDICAL_ZH = [
    "患者{zname}，男，67岁，于{zdate}入院，住院号{zid}，床号12床。",
    "出院小结：姓名{zname}，入院日期{zdate}，出院日期{zdate}，病案号{zid}。",
    "家属：{zname}（女儿），联系电话{zphone}，住址{zaddr}。",
    "我爸爸{zname}在{zfacility}住了三个月，最近在吃{zdrug}",
    "{zname}，女，住院号：{zid}，{zdate}行手术，术后予{zdrug}500毫克口服。",
    "转诊：患者{zname}，现住{zfacility}，{zaddr}，身份证{zresid}",
    "护理记录 {zdate} 患者{zname}夜间睡眠好，家属{zname}陪护",
    "门诊号{zid} 患者{zname} 主诉头痛三天 予{zdrug}",
    "我老公叫{zname}，他是帕金森病，在吃{zdrug}，他生日是{zdate}",
    "患者姓名：{zname}，男，56岁，入院日期{zdate}，住院号{zid}，家属{zname}（女儿）。",
    "预约挂号：患者{zname}，身份证号码 {zresid}，预约日期{zdate}上午，心内科。",
    "车祸伤员，车牌{zplate}，驾驶员{zname}，送入急诊时间{zdate}02:10。",
    "医保卡号 {zid}，姓名 {zname}，门诊号 {zid}，复诊时间{zdate}",
    "{zname}医生，{zdate}手术的病人{zname}今天出院，病案号{zid}",
]
_NEGATIVE_ZH = [
    "{zdrug}每日三次，每次500毫克，连服三个月。",
    "可以用支付宝或者微信支付还款{zamount}吗？",
    "二甲双胍和阿莫西林能一起吃吗？",
    "{zbank}的白金卡年费是{zamount}吗？用{zpay}还款有没有手续费？",
    "帕金森病一般吃{zdrug}，格拉斯哥昏迷评分每{zduration}评估一次。",
    "Spring Boot 的 application.yml 里 server.port 怎么改？useEffect 为什么执行两次？",
    "{zbank}信用卡分期{zduration}，每月还{zamount}，利率{znum}%。",
    "{zdrug}每次500毫克，{zduration}后复查血常规。",
    "用{zpay}转账{zamount}到{zbank}需要多久？",
    "信用卡年费{zamount}，分期手续费0.6%，期限十二个月。",
    "帕金森病患者应避免突然停用{zdrug}。",
]


# ----------------------------------------------------------------------------------------------- value makers
_WORD_GIVEN = [
    "Rose",
    "Grant",
    "Will",
    "Hope",
    "Mark",
    "Bill",
    "Dawn",
    "Faith",
    "Pearl",
    "Victor",
    "Jack",
    "Summer",
    "Joy",
    "Amber",
    "Ruby",
    "Violet",
    "Frank",
    "Grace",
    "Carol",
    "Penny",
    "Sandy",
    "Chase",
    "Hunter",
    "Lily",
    "Ivy",
    "Holly",
    "Autumn",
    "Heather",
    "Iris",
    "Sky",
    "Brook",
    "Rich",
    "Guy",
    "Bob",
    "Art",
    "Dean",
    "Drew",
    "Miles",
    "Reed",
    "Wade",
    "Cliff",
    "Glen",
    "Rob",
    "Sue",
    "Pat",
    "Sunny",
    "Crystal",
    "Jade",
    "Hazel",
    "Daisy",
    "Poppy",
    "Robin",
    "Jay",
    "Max",
    "Rex",
    "Skip",
    "Chip",
    "Buck",
]
_WORD_SURNAMES = [
    "Baker",
    "Smith",
    "Frost",
    "Hill",
    "Wood",
    "Bird",
    "Rose",
    "Park",
    "Stone",
    "Marsh",
    "Cook",
    "Fisher",
    "Shepherd",
    "Bell",
    "Brown",
    "Green",
    "White",
    "Black",
    "Young",
    "King",
    "Hall",
    "Wall",
    "Field",
    "Banks",
    "Mills",
    "Lane",
    "Bush",
    "Hunt",
    "Moss",
    "Lamb",
    "Fox",
    "Swan",
    "Wolf",
    "Long",
    "Short",
    "Sharp",
    "Gold",
    "Silver",
    "Steel",
    "Church",
    "Chapel",
    "Kay",
    "Page",
    "Cross",
    "Waters",
    "Rivers",
    "Brooks",
    "Forest",
    "Heath",
]
_SYLLABLES = [
    "ka",
    "ko",
    "ba",
    "be",
    "da",
    "de",
    "fa",
    "ga",
    "gi",
    "la",
    "le",
    "lo",
    "ma",
    "me",
    "mi",
    "na",
    "ne",
    "no",
    "ra",
    "ri",
    "ro",
    "sa",
    "se",
    "si",
    "ta",
    "te",
    "ti",
    "va",
    "vo",
    "ya",
    "yu",
    "za",
    "zo",
]
_CODAS = ["", "", "n", "r", "s", "l", "m", "sh", "k", "t", "wa", "ah", "ey", "ski", "sen", "son", "ov", "ez"]
_DRUGS = [
    "Augmentin",
    "metformin",
    "Lisinopril",
    "amoxicillin",
    "atorvastatin",
    "omeprazole",
    "paracetamol",
    "ibuprofen",
    "warfarin",
    "apixaban",
    "co-codamol",
    "sertraline",
    "amlodipine",
    "ramipril",
    "furosemide",
    "levothyroxine",
    "prednisolone",
    "salbutamol",
    "insulin",
    "Ozempic",
    "Clopidogrel",
    "gabapentin",
    "tramadol",
    "morphine",
    "ceftriaxone",
    "Tazocin",
    "Keppra",
    "Dexamethasone",
]
_DISEASES = [
    "Hashimoto's thyroiditis",
    "Crohn's disease",
    "Parkinson's disease",
    "Alzheimer's disease",
    "Graves' disease",
    "Bell's palsy",
    "Cushing's syndrome",
    "Hodgkin lymphoma",
    "COPD",
    "type 2 diabetes",
    "heart failure",
    "pneumonia",
    "sepsis",
    "AKI",
    "atrial fibrillation",
    "Guillain-Barre syndrome",
    "Addison's disease",
    "Raynaud's phenomenon",
    "Down syndrome",
    "Wilson disease",
    "cellulitis",
    "UTI",
]
_PRODUCTS = [
    "Visa Platinum",
    "Amazon Prime",
    "Apple Pay",
    "Google Pay",
    "Summer Saver account",
    "Rose Gold card",
    "ISA",
    "Premier Current Account",
    "Cashback Plus card",
    "Easy Access Saver",
    "mortgage",
    "credit card",
    "Netflix subscription",
    "Spotify Premium",
    "Clubcard",
    "Avios card",
]
_BANKS = [
    "Barclays",
    "Monzo",
    "HSBC",
    "Lloyds",
    "NatWest",
    "Santander",
    "Nationwide",
    "Tesco",
    "Starling",
    "Revolut",
]
_CODEIDS = [
    "getUserById",
    "max_retries",
    "useEffect",
    "parse_config",
    "RetryPolicy",
    "fetchOrders",
    "run_migrations",
    "handle_request",
    "OrderService",
    "build_index",
    "useState",
    "connect_db",
    "to_dict",
    "AuthMiddleware",
]
_DURATIONS = ["14 days", "six weeks", "3 months", "two weeks", "48 hours", "a year", "5 days", "ten minutes"]
_DOSES = ["500 mg", "5mg", "20 mg", "1g", "40mg", "2.5 mg", "10 units", "100 micrograms"]
_FACILITY_WORDS = [
    "Willow",
    "Oak",
    "Elm",
    "Meadow",
    "Sunny",
    "Green",
    "Holly",
    "Rose",
    "Cedar",
    "Beech",
    "Ash",
    "Maple",
    "Birch",
    "Heather",
    "Lavender",
    "Primrose",
    "Orchard",
    "Brook",
    "River",
    "Hill",
    "Park",
    "Lake",
    "Fern",
    "Ivy",
    "Laurel",
    "Thistle",
    "Acorn",
    "Clover",
    "Hazel",
    "Juniper",
    "Kingfisher",
    "Swallow",
]
_FACILITY_TAILS = [
    "",
    "",
    "",
    " Court",
    " House",
    " View",
    " Lodge",
    " Park",
    " Grange",
    " Gardens",
    "dale",
    "bank",
    "field",
    " Manor",
    " Hall",
]
_FACILITY_TYPES = [
    "Care Home",
    "Nursing Home",
    "Residential Home",
    "Care Centre",
    "Hospice",
    "Primary School",
    "Nursery",
    "Academy",
    "Medical Centre",
    "Surgery",
    "Montessori School",
    "Retirement Village",
    "Day Centre",
    "Rehabilitation Unit",
    "Infant School",
    "Lodge Care Home",
]
_HOST_ROLES = [
    "db",
    "pg",
    "mysql",
    "redis",
    "api",
    "web",
    "build",
    "jenkins",
    "kafka",
    "payroll",
    "git",
    "ldap",
    "vault",
    "mq",
    "etl",
    "batch",
    "app",
    "cache",
    "es",
]
_HOST_ENVS = ["prod", "stg", "dev", "uat", "qa", "live", "int"]
_HOST_TLDS = ["internal", "corp", "local", "lan", "intranet", "int", "home.arpa", "priv"]
_ZH_DRUGS = ["阿莫西林", "二甲双胍", "阿司匹林", "头孢克肟", "布洛芬", "氯吡格雷", "胰岛素", "奥美拉唑"]
_ZH_FACILITY_TYPES = [
    "养老院",
    "护理院",
    "敬老院",
    "幼儿园",
    "小学",
    "社区卫生服务中心",
    "康复中心",
    "老年公寓",
]
_ZH_FACILITY_WORDS = ["阳光", "康乐", "福寿", "夕阳红", "幸福", "松鹤", "颐养", "金色年华", "春晖", "安康"]
_ZH_PROVINCE = ["北京市", "上海市", "广东省", "浙江省", "江苏省", "四川省", "湖北省", "山东省"]
_ZH_CITY = ["广州", "杭州", "南京", "成都", "武汉", "济南", "深圳", "苏州", "宁波"]
_ZH_DISTRICT = ["朝阳", "海淀", "浦东新", "天河", "西湖", "鼓楼", "武侯", "江汉", "历下"]
_ZH_ROAD = ["人民", "建设", "解放", "中山", "长江", "和平", "文化", "新华", "青年", "东风"]
_ZH_PLATE = "京沪粤浙苏川鄂鲁津渝"
_ZH_BANKS = ["招商银行", "工商银行", "建设银行", "中国银行", "农业银行", "交通银行", "平安银行", "浦发银行"]
_RELATIONS = [
    "daughter",
    "son",
    "wife",
    "husband",
    "brother",
    "sister",
    "mum",
    "dad",
    "mother",
    "father",
    "stepdad",
    "partner",
    "late father",
    "late mother",
    "grandson",
    "niece",
    "nephew",
    "carer",
    "ex",
    "friend",
    "neighbour",
]
_BRANDS = [
    "Grant Thornton",
    "Klarna",
    "Dow Jones",
    "Marcus",
    "Jenkins",
    "GitHub Actions",
    "Sinemet",
    "Spring Boot",
    "Goldman Sachs",
    "Morgan Stanley",
    "Deloitte",
    "PwC",
    "Vanguard",
    "Fidelity",
    "Stripe",
    "PayPal",
    "Wise",
    "Kubernetes",
    "Terraform",
    "PostgreSQL",
    "Redis",
    "Jira",
    "Confluence",
    "GitLab",
    "Ansible",
    "Nginx",
    "FTSE 100",
    "Nasdaq",
    "Halifax",
    "Coutts",
    "Chase",
    "Bupa",
    "Boots",
    "Superdrug",
    "Pfizer",
    "AstraZeneca",
]

_ZH_RELATIONS = ["舅舅", "妈妈", "爸爸", "老公", "老婆", "女儿", "儿子", "姐姐", "奶奶", "同事"]
_HOST_ROLES += [
    "gitlab",
    "dc01",
    "mail",
    "smtp",
    "proxy",
    "squid",
    "jump",
    "bastion",
    "sqlsrv",
    "mongo",
    "rabbit",
]
_FINANCE_EN += [
    "hey its me again, {name}. did the refund go through?",
    "joint acct holders: {given} + {name}. statement address {addr}",
    "transfer {num} to {name} thanks",
    "pay {name} back the {amount} i owe",
    "my {relation} {name} has power of attorney now",
    "money sent to {name} by mistake, can u recall it",
    "its {name} here, locked out again lol",
    "姓名{romanized} / {zname}，申请境外汇款",
    "{relation}'s ({name}) card was swallowed by the atm",
]
_MEDICAL_EN += [
    "hey, i'm {given}. i think i need {drug}, took one {duration} ago",
    "following my {relation}'s ({name}) admission on {date}, please send the records to {email}",
    "MHA S2 - PT {name}, ADM {date} TO ELM WARD. CPN: {name}.",
    "PT {name} ATTENDS {facility}. {relation} {given} AWARE.",
    "school is {facility}, he needs a care plan",
]
_CODE_EN += [
    "User.objects.create(username='{user}', email='{email}', first_name='{given}', last_name='{surname}')",
    "fixture has a real phone in it: phone='{phone}' owner='{name}'",
    "client.login('{user}', '{secret}')",
    "Host {host}\n    HostName {ip}\n    User {user}\n    ProxyJump {host}",
    "curl -H 'Authorization: Bearer {secret}' https://{host}/v2/users/441",
    "SSL error (proxy {host}:8080) on C:\\Users\\{user}\\AppData",
    "-D 'cn={user},ou=Service,dc=corp,dc=local' -H ldap://{host}",
    "DATABASE_URL=postgres://{user}:{secret}@{host}:5432/app\nREDIS_URL=redis://{host}:6379/0\nDEBUG=false",
    "{given}: the staging box {host} is down again, can you restart nginx? - {given}",
]
_CODE_ZH += [
    "微信支付一直提示风险，我用户名是 {user}，实名是{zname}，怎么办",
    "redis:\n  host: {host}\n  password: {secret}\n# 负责人：{zname}",
    "client.login('{user}', '{secret}') 报错：无法连接 {host}",
]
_FINANCE_ZH += [
    "客户{zname}于{zdate}申请车贷，车牌号{zplate}",
    "跟{zname}约好了{zdate}下午在{zaddr}见面",
    "公积金账号 {zid}，单位是{zfacility}",
    "我{zrelation}{zname}明天来网点办业务",
]
_MEDICAL_ZH += [
    "我想给我{zrelation}{zname}开具诊断证明，他出院时间是{zdate}，出院科室神经内科。",
    "预约日期{zdate}上午，患者{zname}，心内科。",
    "{zrelation}{zname}于{zdate}入院，{zdate}出院，住院号{zid}",
    "测试数据里混进了真实用户：姓名 {zname}，手机 {zphone}，身份证 {zresid}",
]

_NEGATIVE_EN += [
    "Transfers to {bank} usually arrive within {duration}, but Faster Payments can take up to 24 hours.",
    "GLASGOW COMA SCALE 15/15, PUPILS PEARL, OBS STABLE. NEURO OBS {duration}.",
    "PUPILS PEARL. GCS 15. APYREXIAL. TOLERATING DIET. {drug} {dose} PRN.",
    "started co-amoxiclav ({drug}) {duration} ago for {disease}",
    "Took the morning after pill (levonorgestrel) {duration} ago, is {drug} safe?",
    "{bank}, {bank} and {brand} all charge {amount} for international transfers.",
    "Can I open a {product} with {bank} if I already bank with {bank}?",
    "Hargreaves Lansdown, Vanguard and {brand} offer a stocks and shares ISA from {amount}.",
    "Known Hashimoto's thyroiditis, on levothyroxine {dose}; TSH in {duration}.",
    "the {codeid} test is marked @pytest.mark.slow and runs in Jenkins nightly",
    "Hope you're well. Will the {product} rate change in {duration}?",
    "Grace period is {duration}; Mark-to-market losses were {amount}.",
]
_NEGATIVE_ZH += [
    "他说他那张信用卡额度才两万，年费{zamount}，想换成白金卡。",
    "伤口还是疼，已经给了{zdrug}，明天再看，继续观察{zduration}。",
    "发烧两天了，在吃{zdrug}颗粒，要不要去医院？",
    "帕金森病在吃多巴丝肼，最近手抖得更厉害了，怎么办？",
    "格拉斯哥昏迷评分15分，神志清楚，继续观察24小时。",
    "{zbank}的房贷利率是多少？提前还款要{zamount}违约金吗？",
    "我用{zpay}绑定了{zbank}的卡，每月自动还款{zamount}。",
    "医生说{zdrug}要饭后吃，一天两次，吃{zduration}。",
    "哮喘发作了，喷了沙丁胺醇才好，需要复诊吗？",
    "分期{zduration}的话每期手续费是{znum}%，总共多少钱？",
]
_MEDICAL_ZH += [
    "{zname}，三岁，发烧两天了，在吃{zdrug}颗粒，家住{zaddr}",
    "查房时{zname}说伤口还是疼，已经给了{zdrug}，明天再看",
    "小雨是我女儿，全名{zname}，在{zfacility}大班，又哮喘发作了",
]
_FINANCE_ZH += [
    "{zname}跟我聊了下，他说他那张信用卡额度才两万，年费{zamount}，想换成白金卡",
]


class _Values:
    """Value makers over seeded Faker instances."""

    def __init__(self, rng: random.Random) -> None:
        from faker import Faker

        from privacy.lexicon import given_names, surnames

        self.rng = rng
        self.fakers = {}
        for i, locale in enumerate(("en_GB", "en_US", "fr_FR", "zh_CN")):
            fake = Faker(locale)
            fake.seed_instance(rng.randrange(1 << 30) + i)
            self.fakers[locale] = fake
        latin = re.compile(
            r"[a-z\u00e0-\u00ff]{3,}"
        )  # Latin-script names only (the lexicons hold Greek, Cyrillic)
        self.lex_given = sorted(name for name in given_names() if latin.fullmatch(name))
        self.lex_surnames = sorted(name for name in surnames() if latin.fullmatch(name))

    def _latin(self) -> Faker:  # type: ignore[name-defined]  # noqa: F821
        return self.fakers[self.rng.choice(["en_GB", "en_GB", "en_US", "en_US", "fr_FR"])]

    def invented(self) -> str:
        word = "".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 3))) + self.rng.choice(
            _CODAS
        )
        return word.capitalize()

    def given(self) -> str:
        roll = self.rng.random()
        if roll < 0.2:
            return self.rng.choice(_WORD_GIVEN)
        if roll < 0.35:
            return self.rng.choice(self.lex_given).capitalize()
        if roll < 0.45:
            return self.invented()
        given = str(self._latin().first_name())
        if self.rng.random() < 0.05:
            given += "-" + str(self._latin().first_name())  # Sarah-Louise, Jean-Pierre
        return given

    def surname(self) -> str:
        roll = self.rng.random()
        if roll < 0.1:
            base = self.rng.choice(_WORD_SURNAMES)
        elif roll < 0.3:
            base = self.rng.choice(self.lex_surnames).capitalize()
        elif roll < 0.45:
            base = self.invented()
        else:
            base = str(self._latin().last_name())
        if self.rng.random() < 0.15:
            base += "-" + self.surname_simple()
        return base

    def surname_simple(self) -> str:
        return str(self._latin().last_name()) if self.rng.random() < 0.7 else self.invented()

    def name(self) -> str:
        roll = self.rng.random()
        if roll < 0.6:
            value = f"{self.given()} {self.surname()}"
        elif roll < 0.72:
            value = f"{self.given()} {self.given()} {self.surname()}"
        elif roll < 0.8:
            value = f"{self.surname().upper()}, {self.given()}"
        elif roll < 0.87:
            value = f"{self.given()[0]}. {self.surname()}"
        elif roll < 0.93:
            value = f"{self.surname()}"  # a title stays outside the span (templates: "Dear Dr {surname}")
        else:
            value = self.given()
        if self.rng.random() < 0.2:
            value = value.lower()
        elif self.rng.random() < 0.08:
            value = value.upper()
        return value

    def address(self) -> str:
        roll = self.rng.random()
        gb, us, fr = self.fakers["en_GB"], self.fakers["en_US"], self.fakers["fr_FR"]
        if roll < 0.4:
            street = f"{self.rng.randint(1, 240)} {gb.street_name()}"
            if self.rng.random() < 0.25:
                street = f"Flat {self.rng.randint(1, 30)}{self.rng.choice(['', 'A', 'B'])}, {street}"
            parts = [street]
            if self.rng.random() < 0.7:
                parts.append(str(gb.city()))
            value = ", ".join(parts)
            if self.rng.random() < 0.75:
                value += self.rng.choice([" ", ", "]) + str(gb.postcode())
        elif roll < 0.7:
            value = f"{us.street_address()}, {us.city()}, {us.state_abbr()} {us.zipcode()}"
            if self.rng.random() < 0.3:
                value = str(us.street_address())
        else:
            value = f"{fr.street_address()}, {fr.postcode()} {fr.city()}"
        return value.replace("\n", ", ")

    def postcode(self) -> str:
        return str(self.fakers["en_GB"].postcode())

    def date(self) -> str:
        fake = self.fakers["en_GB"]
        day = fake.date_between("-90y", "+1y")
        style = self.rng.randrange(10)
        if style == 0:
            return day.strftime("%d/%m/%Y")
        if style == 1:
            return day.strftime("%d.%m.%y")
        if style == 2:
            return f"{day.day}{_ordinal(day.day)} {day.strftime('%B %Y')}"
        if style == 3:
            return day.strftime("%B %d, %Y")
        if style == 4:
            return day.isoformat()
        if style == 5:
            return day.strftime("%d-%b-%Y").upper()
        if style == 6:
            return f"{day.day}/{day.month}"
        if style == 7:
            return f"{day.day} {day.strftime('%b')}"
        if style == 8:
            return day.strftime("%m/%d/%Y")
        return day.strftime("%d %B %Y")

    def ident(self) -> str:
        rng = self.rng
        roll = rng.randrange(9)
        digits = "".join(rng.choice(string.digits) for _ in range(rng.randint(6, 10)))
        letters = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(1, 4)))
        if roll == 0:
            return digits
        if roll == 1:
            return f"{letters}-{digits}"
        if roll == 2:
            return f"{letters}{digits}"
        if roll == 3:
            return f"{digits[:3]} {digits[3:6]} {rng.randint(1000, 9999)}"  # NHS-style grouping
        if roll == 4:
            return f"{letters}{rng.randint(10, 99)}{digits[:5]}"
        if roll == 5:
            return f"{letters}-{digits[:4]}-{digits[4:]}"
        if roll == 6:
            return f"{rng.randint(10, 99)}{letters}{digits[:5]}"
        if roll == 7:
            return self.plate()
        return f"#{digits}"

    def plate(self) -> str:
        rng = self.rng
        if rng.random() < 0.6:
            a = "".join(rng.choice(string.ascii_uppercase) for _ in range(2))
            b = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
            return f"{a}{rng.randint(10, 74)}{rng.choice([' ', ''])}{b}"
        return f"{rng.randint(1, 9)}{''.join(rng.choice(string.ascii_uppercase) for _ in range(3))}{rng.randint(100, 999)}"

    def facility(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.6:
            head = rng.choice(_FACILITY_WORDS) + rng.choice(_FACILITY_TAILS)
        elif roll < 0.8:
            head = f"St {rng.choice(self.lex_given).capitalize()}'s"
        else:
            head = str(self.fakers["en_GB"].last_name())
        return f"{head} {rng.choice(_FACILITY_TYPES)}"

    def user(self) -> str:
        rng = self.rng
        first = re.sub(r"\W", "", self.given().lower()) or "jo"
        last = re.sub(r"\W", "", self.surname_simple().lower()) or "doe"
        roll = rng.randrange(11)
        if roll == 8:
            return f"{rng.choice(['ubuntu', 'ec2', 'app', 'ops', 'ci', 'git'])}-{rng.choice(['deploy', 'user', 'admin'])}"
        if roll == 9:
            return f"{rng.choice(_HOST_ROLES)}_{rng.choice(['user', 'admin', 'ro', 'rw', 'app', 'loader', 'sync'])}"
        if roll == 10:
            pinyin = str(self.fakers["zh_CN"].romanized_name()).lower().split()
            return rng.choice(
                [f"{pinyin[-1]}{pinyin[0]}", f"{pinyin[0]}_{rng.randint(1, 99)}", f"{pinyin[0]}.{pinyin[-1]}"]
            )
        if roll == 0:
            return f"{first[0]}{last}"
        if roll == 1:
            return f"{first}.{last}"
        if roll == 2:
            return f"{first}_{last}_{rng.randint(1, 99)}"
        if roll == 3:
            return f"svc_{rng.choice(['backup', 'deploy', 'etl', 'billing', 'reports', 'sync'])}"
        if roll == 4:
            return f"{last}{rng.randint(1, 99)}"
        if roll == 5:
            return str(self.fakers["en_US"].user_name())
        if roll == 6:
            return f"{first}{last[0]}"
        return f"{first[0]}{last}{rng.randint(1, 9)}"

    def host(self) -> str:
        rng = self.rng
        role = rng.choice(_HOST_ROLES)
        base = rng.choice(
            [
                f"{role}-{rng.choice(_HOST_ENVS)}-{rng.randint(1, 12):02d}",
                f"{role}-{rng.choice(['master', 'replica', 'primary', 'relay', 'worker', 'node'])}-{rng.randint(1, 9)}",
                f"{role}{rng.randint(1, 9)}",
                f"{rng.choice(_HOST_ENVS)}-{role}-{rng.randint(1, 20)}",
                f"{role}-{rng.choice(['master', 'relay', 'jump', 'bastion', 'proxy'])}",
            ]
        )
        roll = rng.random()
        if roll < 0.25:
            return base
        company = re.sub(r"\W", "", self.fakers["en_US"].last_name().lower())
        if rng.random() < 0.3:
            company += rng.choice(["bank", "tech", "-nhs", "health", "wave", "-corp", "field"])
        if roll < 0.6:
            return f"{base}.{rng.choice(['', 'corp.', 'eu.', 'dc1.', 'prod.', 'int.'])}{company}.{rng.choice(_HOST_TLDS)}"
        if roll < 0.75:  # a private host under a registered domain
            head = rng.choice(
                [base, rng.choice(_HOST_ROLES), f"{rng.choice(_HOST_ROLES)}{rng.randint(1, 9)}"]
            )
            middle = rng.choice(["corp.", "int.", "lan.", "internal.", "prod.", "", "ad."])
            return f"{head}.{middle}{company}.{rng.choice(['net', 'io', 'org', 'com', 'co.uk'])}"
        if roll < 0.8:
            initials = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(2, 6)))
            return f"{initials}-{rng.choice(['MBP', 'PC', 'LAPTOP', 'WS01', 'DESKTOP'])}"
        return f"ip-10-{rng.randint(0, 255)}-{rng.randint(0, 255)}-{rng.randint(1, 254)}.ec2.internal"

    def secret(self) -> str:
        alphabet = string.ascii_letters + string.digits
        return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(10, 32)))

    def zname(self) -> str:
        value = str(self.fakers["zh_CN"].name())
        return value

    def zaddr(self) -> str:
        rng = self.rng
        if rng.random() < 0.4:
            return str(self.fakers["zh_CN"].address()).replace("\n", "")
        return (
            f"{rng.choice(_ZH_PROVINCE)}{rng.choice(_ZH_CITY)}市{rng.choice(_ZH_DISTRICT)}区"
            f"{rng.choice(_ZH_ROAD)}路{rng.randint(1, 999)}号"
            + (f"{rng.randint(1, 30)}栋{rng.randint(101, 2808)}室" if rng.random() < 0.6 else "")
        )

    def zdate(self) -> str:
        day = self.fakers["zh_CN"].date_between("-80y", "+1y")
        roll = self.rng.randrange(4)
        if roll == 0:
            return f"{day.year}年{day.month}月{day.day}日"
        if roll == 1:
            return f"{day.month}月{day.day}日"
        if roll == 2:
            return day.isoformat()
        return f"{day.year}.{day.month:02d}.{day.day:02d}"

    def zid(self) -> str:
        rng = self.rng
        digits = "".join(rng.choice(string.digits) for _ in range(rng.randint(6, 10)))
        return rng.choice([digits, f"ZY{digits}", f"BA{digits}", f"MZ{digits}"])

    def zplate(self) -> str:
        rng = self.rng
        tail = "".join(rng.choice(string.digits + "ABCDEFGHJK") for _ in range(5))
        return f"{rng.choice(_ZH_PLATE)}{rng.choice('ABCDE')}{rng.choice(['·', '', ' '])}{tail}"

    def zfacility(self) -> str:
        return f"{self.rng.choice(_ZH_CITY + [''])}{self.rng.choice(_ZH_FACILITY_WORDS)}{self.rng.choice(_ZH_FACILITY_TYPES)}"


def _ordinal(day: int) -> str:
    return "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _makers(v: _Values) -> dict[str, tuple[str | None, Callable[[], str]]]:
    """Slot -> (label kind or None for ``O``, value maker)."""
    rng = v.rng
    gb = v.fakers["en_GB"]
    zh = v.fakers["zh_CN"]
    return {
        "name": ("PERSON", v.name),
        "given": ("PERSON", v.given),
        "surname": ("PERSON", v.surname),
        "addr": ("ADDRESS", v.address),
        "postcode": ("ADDRESS", v.postcode),
        "date": ("DATE", v.date),
        "id": ("ID", v.ident),
        "plate": ("ID", v.plate),
        "facility": ("FACILITY", v.facility),
        "user": ("USERNAME", v.user),
        "host": ("HOST", v.host),
        "card": ("RULE", lambda: str(gb.credit_card_number())),
        "cvv": ("RULE", lambda: str(rng.randint(100, 999))),
        "phone": ("RULE", lambda: str(rng.choice(list(v.fakers.values())[:3]).phone_number())),
        "email": ("RULE", lambda: str(gb.email())),
        "iban": ("RULE", lambda: str(gb.iban())),
        "secret": ("RULE", v.secret),
        "nino": ("RULE", lambda: str(gb.ssn())),
        "ip": ("RULE", lambda: str(gb.ipv4_private())),
        "drug": (None, lambda: rng.choice(_DRUGS)),
        "disease": (None, lambda: rng.choice(_DISEASES)),
        "product": (None, lambda: rng.choice(_PRODUCTS)),
        "amount": (
            None,
            lambda: (
                rng.choice(["£", "$", "€"]) + f"{rng.randint(5, 25000):,}" + rng.choice(["", ".00", ".50"])
            ),
        ),
        "duration": (None, lambda: rng.choice(_DURATIONS)),
        "codeid": (None, lambda: rng.choice(_CODEIDS)),
        "dose": (None, lambda: rng.choice(_DOSES)),
        "city": (None, lambda: str(gb.city())),
        "bank": (None, lambda: rng.choice(_BANKS)),
        "num": (None, lambda: f"{rng.randint(1, 30)}.{rng.randint(0, 9)}"),
        "zname": ("PERSON", v.zname),
        "zaddr": ("ADDRESS", v.zaddr),
        "zdate": ("DATE", v.zdate),
        "zid": ("ID", v.zid),
        "zplate": ("ID", v.zplate),
        "zfacility": ("FACILITY", v.zfacility),
        "zphone": ("RULE", lambda: str(zh.phone_number())),
        "zresid": ("RULE", lambda: str(zh.ssn())),
        "zdrug": (None, lambda: rng.choice(_ZH_DRUGS)),
        "zbank": (None, lambda: rng.choice(_ZH_BANKS)),
        "zpay": (None, lambda: rng.choice(["支付宝", "微信支付", "云闪付", "Apple Pay"])),
        "zduration": (None, lambda: rng.choice(["三个月", "十二个月", "24小时", "两周", "6个月", "一年"])),
        "znum": (None, lambda: f"{rng.randint(1, 9)}.{rng.randint(0, 9)}"),
        "relation": (None, lambda: rng.choice(_RELATIONS)),
        "zrelation": (None, lambda: rng.choice(_ZH_RELATIONS)),
        "romanized": (
            "PERSON",
            lambda: str(zh.romanized_name()).upper() if rng.random() < 0.6 else str(zh.romanized_name()),
        ),
        "brand": (None, lambda: rng.choice(_BRANDS)),
        "zamount": (None, lambda: f"{rng.randint(100, 50000)}元"),
    }


_SLOT = re.compile(r"\{([a-z]+)\}")
_DROPPABLE = re.compile(r"[,.!?;]")


def _typo(text: str, rng: random.Random) -> str:
    words = [m for m in re.finditer(r"[a-z]{5,}", text)]
    if not words:
        return text
    word = rng.choice(words)
    i = rng.randrange(word.start() + 1, word.end() - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2 :]


def _fill(
    template: str, makers: dict[str, tuple[str | None, Callable[[], str]]], rng: random.Random
) -> Example:
    """One message from ``template``: slots filled, noise applied, labelled spans recorded."""
    case = rng.random()
    mode = "lower" if case < 0.22 else "upper" if case < 0.32 else "asis"
    drop_punct = rng.random() < 0.25
    typo = rng.random() < 0.25
    pieces: list[tuple[str, str | None]] = []
    cursor = 0
    for match in _SLOT.finditer(template):
        pieces.append((template[cursor : match.start()], None))
        kind, make = makers[match.group(1)]
        pieces.append((make(), kind or "O"))
        cursor = match.end()
    pieces.append((template[cursor:], None))
    text = ""
    spans: list[tuple[int, int, str]] = []
    for piece, kind in pieces:
        if kind is None:
            if drop_punct:
                piece = _DROPPABLE.sub("", piece)
            if typo and rng.random() < 0.5:
                piece = _typo(piece, rng)
        if mode == "lower":
            changed = piece.lower()
        elif mode == "upper":
            changed = piece.upper()
        else:
            changed = piece
        if len(changed) == len(piece):
            piece = changed
        if kind not in (None, "O"):
            spans.append((len(text), len(text) + len(piece), kind))
        text += piece
    return Example(text, tuple(spans))


def generate_examples(count: int, seed: int = 0) -> list[Example]:
    """``count`` synthetic labelled messages (about 60% English, 25% negatives, 15% Chinese), seeded.

    Raises:
        ValueError: ``count`` is negative.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    rng = random.Random(seed)
    makers = _makers(_Values(rng))
    pools = [
        (_FINANCE_EN, 0.2),
        (_MEDICAL_EN, 0.19),
        (_CODE_EN, 0.17),
        (_NEGATIVE_EN, 0.2),
        (_FINANCE_ZH, 0.07),
        (_MEDICAL_ZH, 0.08),
        (_NEGATIVE_ZH, 0.05),
        (_CODE_ZH, 0.04),
    ]
    templates = [pool for pool, _ in pools]
    weights = [weight for _, weight in pools]
    negatives = _negatives()
    chinese = _negatives("pii_negatives_zh.jsonl")
    # its own generator: the rest of the corpus stays what it was without the Chinese negatives
    chinese_rng = random.Random(f"{seed}-zh")
    examples = []
    for _ in range(count):
        if rng.random() < 0.22:  # real text without personal data, one to three pieces
            text = "\n".join(rng.choice(negatives) for _ in range(rng.randint(1, 3)))
            if chinese_rng.random() < _CHINESE_NEGATIVE_SHARE:
                text = "\n".join(chinese_rng.choice(chinese) for _ in range(chinese_rng.randint(1, 3)))
            examples.append(Example(text.lower() if rng.random() < 0.15 else text, ()))
            continue
        pool = rng.choices(templates, weights)[0]
        template = rng.choice(pool)
        if rng.random() < 0.3:  # two messages' worth of context in one text
            other = rng.choice(rng.choices(templates, weights)[0])
            template = template + rng.choice([" ", "\n", ". ", "\n\n"]) + other
        example = _fill(template, makers, rng)
        if rng.random() < 0.12:  # personal data next to ordinary text
            example = Example(rng.choice(negatives) + "\n" + example.text, ())._shifted(example)
        examples.append(example)
    return examples


#: Share of the real-negative examples drawn from the Chinese negatives instead.
_CHINESE_NEGATIVE_SHARE = 0.15


@cache
def _negatives(name: str = "pii_negatives.jsonl") -> tuple[str, ...]:
    """The texts of ``pii_negatives.jsonl`` or ``pii_negatives_zh.jsonl`` (see the module docstring)."""
    path = Path(__file__).with_name(name)
    return tuple(json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line)


def to_sequences(examples: list[Example]) -> list[tuple[list[str], list[str]]]:
    """Tokens (:func:`privacy.learned.tokenize`) and BIO labels of each example: a token inside a labelled
    span gets its kind (``B-`` on the span's first token)."""
    out = []
    for example in examples:
        offsets = tokenize(example.text)
        labels = ["O"] * len(offsets)
        for start, end, kind in example.spans:
            inside = [i for i, (s, e) in enumerate(offsets) if s < end and e > start]
            for n, i in enumerate(inside):
                labels[i] = ("B-" if n == 0 else "I-") + kind
        out.append(([example.text[s:e] for s, e in offsets], labels))
    return out
