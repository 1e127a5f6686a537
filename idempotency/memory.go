package idempotency

import (
	"context"
	"sync"
	"time"

	gocache "github.com/patrickmn/go-cache"
)

// Memory is a Store in the process's memory (go-cache): right for one
// proxy instance; entries are lost on restart. Several instances need
// Redis.
type Memory struct {
	mu    sync.Mutex // makes Claim's read-then-write atomic
	cache *gocache.Cache
}

// NewMemory returns an empty store that sweeps expired entries every
// minute.
func NewMemory() *Memory {
	return &Memory{cache: gocache.New(gocache.NoExpiration, time.Minute)}
}

// Claim implements Store.
func (m *Memory) Claim(_ context.Context, key string, e Entry, ttl time.Duration) (Entry, bool, bool, error) {
	v, err := encode(e)
	if err != nil {
		return Entry{}, false, false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	prev, ok, err := m.get(key)
	if err != nil {
		return Entry{}, false, false, err
	}
	if !claimable(prev, ok, e.Fingerprint, time.Now()) {
		return prev, ok, false, nil
	}
	m.cache.Set(key, v, ttl)
	return prev, ok, true, nil
}

func (m *Memory) get(key string) (Entry, bool, error) {
	v, ok := m.cache.Get(key)
	if !ok {
		return Entry{}, false, nil
	}
	e, err := decode(v.(string))
	return e, err == nil, err
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) (Entry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.get(key)
}

// Put implements Store.
func (m *Memory) Put(_ context.Context, key string, e Entry, ttl time.Duration) error {
	v, err := encode(e)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.cache.Set(key, v, ttl)
	m.mu.Unlock()
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	m.cache.Delete(key)
	m.mu.Unlock()
	return nil
}
