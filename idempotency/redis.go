package idempotency

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store shared by every proxy instance using the same Redis
// (and key prefix). Claim is one server-side script, so two instances
// cannot both claim a key.
type Redis struct {
	client *redis.Client
	prefix string
}

// NewRedis returns a store on client whose keys start with prefix (e.g.
// "g2p-bank-proxy:").
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// entryKey is the Redis key that holds the entry of an idempotency key.
func (r *Redis) entryKey(key string) string { return r.prefix + "idem:" + key }

// claimScript: KEYS[1] key; ARGV[1] new value, ARGV[2] fingerprint,
// ARGV[3] ttl in ms, ARGV[4] now in Unix ms. Returns {claimed (0/1),
// previous value or ""}. The rule is claimable's: free, or the same
// fingerprint and Unknown or InFlight with a lapsed lease.
var claimScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if v then
  local state = string.sub(v, 1, 1)
  local fp = string.sub(v, 2, 1 + string.len(ARGV[2]))
  local lease = tonumber(string.sub(v, 2 + string.len(ARGV[2]), 1 + string.len(ARGV[2]) + 16))
  local lapsed = state == 'F' and lease ~= nil and lease <= tonumber(ARGV[4])
  if fp ~= ARGV[2] or not (state == 'U' or lapsed) then
    return {0, v}
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return {1, v or ''}
`)

// Ping checks that Redis answers (for readiness).
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("idempotency: redis: %w", err)
	}
	return nil
}

// Claim implements Store.
func (r *Redis) Claim(ctx context.Context, key string, e Entry, ttl time.Duration) (Entry, bool, bool, error) {
	v, err := encode(e)
	if err != nil {
		return Entry{}, false, false, err
	}
	res, err := claimScript.Run(ctx, r.client, []string{r.entryKey(key)}, v, e.Fingerprint, ttl.Milliseconds(), time.Now().UnixMilli()).Slice()
	if err != nil {
		return Entry{}, false, false, fmt.Errorf("idempotency: redis: %w", err)
	}
	if len(res) != 2 {
		return Entry{}, false, false, fmt.Errorf("%w: script answered %v", ErrBadEntry, res)
	}
	claimed, _ := res[0].(int64)
	prevRaw, _ := res[1].(string)
	if prevRaw == "" {
		return Entry{}, false, claimed == 1, nil
	}
	prev, err := decode(prevRaw)
	if err != nil {
		return Entry{}, false, false, err
	}
	return prev, true, claimed == 1, nil
}

// Get implements Store.
func (r *Redis) Get(ctx context.Context, key string) (Entry, bool, error) {
	v, err := r.client.Get(ctx, r.entryKey(key)).Result()
	if errors.Is(err, redis.Nil) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("idempotency: redis: %w", err)
	}
	e, err := decode(v)
	return e, err == nil, err
}

// Put implements Store.
func (r *Redis) Put(ctx context.Context, key string, e Entry, ttl time.Duration) error {
	v, err := encode(e)
	if err != nil {
		return err
	}
	if err := r.client.Set(ctx, r.entryKey(key), v, ttl).Err(); err != nil {
		return fmt.Errorf("idempotency: redis: %w", err)
	}
	return nil
}

// Delete implements Store.
func (r *Redis) Delete(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.entryKey(key)).Err(); err != nil {
		return fmt.Errorf("idempotency: redis: %w", err)
	}
	return nil
}

// ErrLockTimeout is returned by RedisLocker.Lock when the lock stayed taken
// for the whole wait.
var ErrLockTimeout = errors.New("idempotency: lock still held by another instance")

// RedisLocker is a short mutual-exclusion lock across proxy instances
// (satisfies mapping.Locker): SET key token NX PX ttl, released only by its
// holder's token. The TTL frees a lock whose holder died; it must exceed the
// critical section (a directory read and a create in Odoo).
type RedisLocker struct {
	client *redis.Client
	prefix string
	ttl    time.Duration // lock expiry
	wait   time.Duration // longest wait for a taken lock
}

// NewRedisLocker returns a locker; ttl is both the lock's expiry and the
// longest wait for it.
func NewRedisLocker(client *redis.Client, prefix string, ttl time.Duration) *RedisLocker {
	return &RedisLocker{client: client, prefix: prefix, ttl: ttl, wait: ttl}
}

// releaseScript deletes the lock only if it still holds our token: after
// an expiry another instance may hold it.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// Lock takes the lock named key, polling while another instance holds it,
// until ctx ends or the wait (the TTL) is over.
func (l *RedisLocker) Lock(ctx context.Context, key string) (func(), error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	name := l.prefix + "lock:" + key
	deadline := time.Now().Add(l.wait)
	pause := 5 * time.Millisecond
	for {
		ok, err := l.client.SetNX(ctx, name, token, l.ttl).Result()
		if err != nil {
			return nil, fmt.Errorf("idempotency: redis lock: %w", err)
		}
		if ok {
			var once sync.Once
			return func() {
				once.Do(func() {
					// The caller's ctx may be spent; a release must still go out.
					rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
					defer cancel()
					_ = releaseScript.Run(rctx, l.client, []string{name}, token).Err() // expiry frees it otherwise
				})
			}, nil
		}
		if time.Now().Add(pause).After(deadline) {
			return nil, ErrLockTimeout
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}
