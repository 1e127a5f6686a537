package odoo

import (
	"time"
)

// Odoo sends empty values as false, never as None (reference C.5): every
// accessor except Bool treats false (and a JSON null) as "absent".

// ID returns the record's id, 0 if it has none.
func (r Record) ID() int64 {
	id, _ := r.Int64("id")
	return id
}

// Int64 returns an integer field.
func (r Record) Int64(field string) (int64, bool) {
	v, ok := r[field].(int64)
	return v, ok
}

// String returns a char/text/selection field. An empty string is present
// (ok=true); false is absent.
func (r Record) String(field string) (string, bool) {
	v, ok := r[field].(string)
	return v, ok
}

// Bool returns a boolean field; anything but true is false.
func (r Record) Bool(field string) bool {
	v, _ := r[field].(bool)
	return v
}

// Float returns a float/monetary field; an integer value is converted.
func (r Record) Float(field string) (float64, bool) {
	switch v := r[field].(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// Many2One returns a many2one field as read gives it ([id, "display name"]),
// as web_read gives it ({"id": .., "display_name"|"name": ..}) or as a bare
// id (load=None). Name is empty when the shape carries none.
func (r Record) Many2One(field string) (Many2One, bool) {
	return many2one(r[field])
}

func many2one(v any) (Many2One, bool) {
	switch x := v.(type) {
	case []any:
		if len(x) != 2 {
			return Many2One{}, false
		}
		id, ok := x[0].(int64)
		if !ok {
			return Many2One{}, false
		}
		name, _ := x[1].(string)
		return Many2One{ID: id, Name: name}, true
	case map[string]any:
		rec := Record(x)
		id, ok := rec.Int64("id")
		if !ok {
			return Many2One{}, false
		}
		name, ok := rec.String("display_name")
		if !ok {
			name, _ = rec.String("name")
		}
		return Many2One{ID: id, Name: name}, true
	case int64:
		return Many2One{ID: x}, true
	}
	return Many2One{}, false
}

// Date returns a date field ("YYYY-MM-DD") as midnight UTC.
func (r Record) Date(field string) (time.Time, bool) {
	s, ok := r.String(field)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// Datetime returns a datetime field ("YYYY-MM-DD HH:MM:SS", always UTC on
// the wire whatever the context tz).
func (r Record) Datetime(field string) (time.Time, bool) {
	s, ok := r.String(field)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateTime, s)
	return t, err == nil
}

// IDs returns the ids of an x2many field: a list of ids from read, or the
// ids of the objects web_read returns. nil when the field is absent.
func (r Record) IDs(field string) []int64 {
	list, _ := r[field].([]any)
	if list == nil {
		return nil
	}
	ids := make([]int64, 0, len(list))
	for _, v := range list {
		switch x := v.(type) {
		case int64:
			ids = append(ids, x)
		case map[string]any:
			if id, ok := Record(x).Int64("id"); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// Records returns the child objects of an x2many field read with web_read.
func (r Record) Records(field string) []Record {
	list, _ := r[field].([]any)
	if list == nil {
		return nil
	}
	out := make([]Record, 0, len(list))
	for _, v := range list {
		if m, ok := v.(map[string]any); ok {
			out = append(out, Record(m))
		}
	}
	return out
}

// Record returns a many2one read with web_read and a nested specification
// ({"id": .., requested fields}); false is absent.
func (r Record) Record(field string) (Record, bool) {
	m, ok := r[field].(map[string]any)
	return Record(m), ok
}
