package emulator

import (
	"maps"
	"sort"
)

// row holds the stored column values of one record; an absent key is NULL.
// Values: string (char, text, selection, date "YYYY-MM-DD", datetime
// "YYYY-MM-DD HH:MM:SS"), int64 (integer, many2one id), float64, bool,
// []int64 (many2many ids). one2many values are never stored: they are
// derived from the inverse many2one.
type row map[string]any

// table is one model's rows plus its id sequence. Like a PostgreSQL
// sequence, seq is not rolled back when a transaction fails.
type table struct {
	rows map[int64]row
	seq  int64
}

// store is the whole database.
type store struct {
	tables map[string]*table
}

func newStore(reg registry) *store {
	s := &store{tables: map[string]*table{}}
	for name := range reg {
		s.tables[name] = &table{rows: map[int64]row{}}
	}
	return s
}

// ids returns the ids of a table in ascending order.
func (t *table) ids() []int64 {
	out := make([]int64, 0, len(t.rows))
	for id := range t.rows {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

type rowKey struct {
	model string
	id    int64
}

// journal records the original state of every row a transaction touches,
// so that a failing execute_kw leaves nothing behind (one call = one
// database transaction in Odoo).
type journal struct {
	st    *store
	saved map[rowKey]row // nil value: the row did not exist
	// version counts the changes made through the journal, so that
	// per-call indexes know when they are stale.
	version int
}

func newJournal(st *store) *journal { return &journal{st: st, saved: map[rowKey]row{}} }

func (j *journal) remember(model string, id int64) {
	j.version++
	k := rowKey{model, id}
	if _, ok := j.saved[k]; ok {
		return
	}
	if r, ok := j.st.tables[model].rows[id]; ok {
		j.saved[k] = cloneRow(r)
	} else {
		j.saved[k] = nil
	}
}

func (j *journal) rollback() {
	j.version++
	for k, r := range j.saved {
		t := j.st.tables[k.model]
		if r == nil {
			delete(t.rows, k.id)
		} else {
			t.rows[k.id] = r
		}
	}
	j.saved = map[rowKey]row{}
}

func cloneRow(r row) row {
	c := maps.Clone(r)
	for k, v := range c {
		if ids, ok := v.([]int64); ok {
			c[k] = append([]int64(nil), ids...)
		}
	}
	return c
}

func (j *journal) insert(model string, r row) int64 {
	t := j.st.tables[model]
	t.seq++
	id := t.seq
	j.remember(model, id)
	r["id"] = id
	t.rows[id] = r
	return id
}

// insertWithID is for seed data with fixed ids.
func (j *journal) insertWithID(model string, id int64, r row) {
	t := j.st.tables[model]
	if id > t.seq {
		t.seq = id
	}
	j.remember(model, id)
	r["id"] = id
	t.rows[id] = r
}

func (j *journal) update(model string, id int64, vals row) {
	j.remember(model, id)
	r := j.st.tables[model].rows[id]
	for k, v := range vals {
		if v == nil {
			delete(r, k)
		} else {
			r[k] = v
		}
	}
}

func (j *journal) delete(model string, id int64) {
	j.remember(model, id)
	delete(j.st.tables[model].rows, id)
}

func (j *journal) get(model string, id int64) (row, bool) {
	t, ok := j.st.tables[model]
	if !ok {
		return nil, false
	}
	r, ok := t.rows[id]
	return r, ok
}
