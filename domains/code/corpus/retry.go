// Package retry provides a small retry-with-exponential-backoff helper and a
// circuit breaker. Written for the domain-assistant project as sample code.
package retry

import (
	"context"
	"errors"
	"math/rand"
	"sync"
	"time"
)

// ErrCircuitOpen is returned by Breaker.Do while the breaker is open.
var ErrCircuitOpen = errors.New("retry: circuit breaker is open")

// Policy describes how often and how long to retry a failing operation.
type Policy struct {
	MaxAttempts int           // total attempts including the first one (>= 1)
	BaseDelay   time.Duration // delay before the second attempt
	MaxDelay    time.Duration // upper bound for a single delay
	Multiplier  float64       // growth factor between attempts, e.g. 2.0
	Jitter      float64       // fraction of random jitter, 0.0 - 1.0
}

// DefaultPolicy retries up to 5 times, starting at 100ms and doubling up to 5s.
func DefaultPolicy() Policy {
	return Policy{MaxAttempts: 5, BaseDelay: 100 * time.Millisecond, MaxDelay: 5 * time.Second, Multiplier: 2.0, Jitter: 0.2}
}

// Delay returns the wait time before attempt number n (n starts at 1 for the
// first retry). The result is capped at MaxDelay and randomised by Jitter.
func (p Policy) Delay(n int) time.Duration {
	d := float64(p.BaseDelay)
	for i := 1; i < n; i++ {
		d *= p.Multiplier
		if d > float64(p.MaxDelay) {
			d = float64(p.MaxDelay)
			break
		}
	}
	if p.Jitter > 0 {
		d += d * p.Jitter * (rand.Float64()*2 - 1)
	}
	if d < 0 {
		d = 0
	}
	return time.Duration(d)
}

// Permanent wraps an error to signal that it must not be retried.
type Permanent struct{ Err error }

func (p Permanent) Error() string { return p.Err.Error() }
func (p Permanent) Unwrap() error { return p.Err }

// Do calls fn until it succeeds, returns a Permanent error, the context is
// cancelled, or MaxAttempts is reached. It returns the last error seen.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context) error) error {
	if p.MaxAttempts < 1 {
		p.MaxAttempts = 1
	}
	var err error
	for attempt := 1; attempt <= p.MaxAttempts; attempt++ {
		if err = fn(ctx); err == nil {
			return nil
		}
		var perm Permanent
		if errors.As(err, &perm) {
			return perm.Err
		}
		if attempt == p.MaxAttempts {
			break
		}
		timer := time.NewTimer(p.Delay(attempt))
		select {
		case <-ctx.Done():
			timer.Stop()
			return errors.Join(err, ctx.Err())
		case <-timer.C:
		}
	}
	return err
}

// Breaker is a minimal circuit breaker: after Threshold consecutive failures
// it rejects calls for Cooldown, then lets one trial call through.
type Breaker struct {
	Threshold int
	Cooldown  time.Duration

	mu       sync.Mutex
	failures int
	openedAt time.Time
}

// NewBreaker creates a breaker that opens after threshold failures.
func NewBreaker(threshold int, cooldown time.Duration) *Breaker {
	return &Breaker{Threshold: threshold, Cooldown: cooldown}
}

// Open reports whether the breaker currently rejects calls.
func (b *Breaker) Open() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures >= b.Threshold && time.Since(b.openedAt) < b.Cooldown
}

// Do runs fn unless the breaker is open and records the outcome.
func (b *Breaker) Do(fn func() error) error {
	if b.Open() {
		return ErrCircuitOpen
	}
	err := fn()
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.failures++
		if b.failures >= b.Threshold {
			b.openedAt = time.Now()
		}
		return err
	}
	b.failures = 0
	return nil
}
