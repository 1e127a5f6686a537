package mapping

import "context"

// Locker serialises a critical section across proxy instances (several
// replicas behind one load balancer). Lock blocks until the lock named key
// is held or ctx ends; unlock releases it and is safe to call once. An error
// means the lock is not held (and the section must not run).
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// bankLockKey names the one lock all bank misses share: a new bank asked
// for by BIC on one replica and by name on another may be the same bank, so
// keys per name or BIC would not keep them apart. Misses are rare (the
// directory is cached), so one lock costs nothing noticeable.
const bankLockKey = "bank-resolve"
