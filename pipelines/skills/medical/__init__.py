"""Clinical NLP: disease and drug recognition (``entities`` with ``lexicon`` and ``context``), relations
(``relations``), the clinical record view (``clinical``), per-record medical terms and the DP budget ledger
(``records``, filled by the indexing hook ``records_hook``) and differentially private counts (``dp_stats``)."""

__all__: list[str] = []
