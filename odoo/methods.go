package odoo

import (
	"context"
	"fmt"
)

// errNoFields: reading "all fields" runs every computed field, and
// g2p_bank's iban raises for some accounts (transcripts/09 steps 25, 27),
// so every read names its fields.
var errNoFields = fmt.Errorf("%w: an explicit field list is required", ErrInvalidValue)

// kwargs builds the keyword arguments shared by the read helpers; paging
// says whether offset/limit/order apply.
func (o Options) kwargs(paging bool) map[string]any {
	kw := map[string]any{}
	if paging {
		if o.Offset > 0 {
			kw["offset"] = o.Offset
		}
		if o.Limit > 0 {
			kw["limit"] = o.Limit
		}
		if o.Order != "" {
			kw["order"] = o.Order
		}
	}
	if o.ActiveTest != nil || len(o.Context) > 0 {
		cx := make(map[string]any, len(o.Context)+1)
		for k, v := range o.Context {
			cx[k] = v
		}
		if o.ActiveTest != nil {
			cx["active_test"] = *o.ActiveTest
		}
		kw["context"] = cx
	}
	return kw
}

func domainArg(d Domain) []any {
	if d == nil {
		return []any{}
	}
	return d
}

func idsArg(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func fieldsArg(fields []string) []any {
	out := make([]any, len(fields))
	for i, f := range fields {
		out[i] = f
	}
	return out
}

// SearchRead returns the records of model matching domain, with the given
// fields (required; "id" is always included). Options: offset, limit,
// order, active_test, context.
func (c *Client) SearchRead(ctx context.Context, model string, domain Domain, fields []string, o Options) ([]Record, error) {
	if len(fields) == 0 {
		return nil, errNoFields
	}
	kw := o.kwargs(true)
	kw["fields"] = fieldsArg(fields)
	res, err := c.ExecuteKw(ctx, model, "search_read", []any{domainArg(domain)}, kw)
	if err != nil {
		return nil, err
	}
	return records(model, "search_read", res)
}

// Read returns the records with the given ids and fields (required). Ids
// that do not exist are silently left out (transcripts/08); archived
// records are returned.
func (c *Client) Read(ctx context.Context, model string, ids []int64, fields []string, o Options) ([]Record, error) {
	if len(fields) == 0 {
		return nil, errNoFields
	}
	kw := o.kwargs(false)
	kw["fields"] = fieldsArg(fields)
	res, err := c.ExecuteKw(ctx, model, "read", []any{idsArg(ids)}, kw)
	if err != nil {
		return nil, err
	}
	return records(model, "read", res)
}

// Search returns the ids of the records matching domain.
func (c *Client) Search(ctx context.Context, model string, domain Domain, o Options) ([]int64, error) {
	res, err := c.ExecuteKw(ctx, model, "search", []any{domainArg(domain)}, o.kwargs(true))
	if err != nil {
		return nil, err
	}
	return int64s(model, "search", res)
}

// SearchCount returns how many records match domain (offset, limit and
// order are ignored).
func (c *Client) SearchCount(ctx context.Context, model string, domain Domain, o Options) (int64, error) {
	res, err := c.ExecuteKw(ctx, model, "search_count", []any{domainArg(domain)}, o.kwargs(false))
	if err != nil {
		return 0, err
	}
	n, ok := res.(int64)
	if !ok {
		return 0, shapeError(model, "search_count", res)
	}
	return n, nil
}

// Create creates one record (with its nested x2many commands, in one
// transaction) and returns its id.
func (c *Client) Create(ctx context.Context, model string, vals Values, o Options) (int64, error) {
	if vals == nil {
		vals = Values{}
	}
	res, err := c.ExecuteKw(ctx, model, "create", []any{vals}, o.kwargs(false))
	if err != nil {
		return 0, err
	}
	id, ok := res.(int64)
	if !ok {
		return 0, shapeError(model, "create", res)
	}
	return id, nil
}

// CreateMany creates several records in one call (one transaction: all or
// nothing) and returns their ids in order.
func (c *Client) CreateMany(ctx context.Context, model string, vals []Values, o Options) ([]int64, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	list := make([]any, len(vals))
	for i, v := range vals {
		if v == nil {
			v = Values{}
		}
		list[i] = v
	}
	res, err := c.ExecuteKw(ctx, model, "create", []any{list}, o.kwargs(false))
	if err != nil {
		return nil, err
	}
	ids, err := int64s(model, "create", res)
	if err == nil && len(ids) != len(vals) {
		err = shapeError(model, "create", res)
	}
	return ids, err
}

// Write sets vals on the records ids. A missing id is a KindMissing error.
// Empty vals cost no call.
func (c *Client) Write(ctx context.Context, model string, ids []int64, vals Values, o Options) error {
	if len(vals) == 0 {
		return nil
	}
	res, err := c.ExecuteKw(ctx, model, "write", []any{idsArg(ids), vals}, o.kwargs(false))
	if err != nil {
		return err
	}
	if ok, _ := res.(bool); !ok {
		return shapeError(model, "write", res)
	}
	return nil
}

// Unlink deletes the records ids (a compensation step; prefer archiving
// with Write(active=false)). A missing id is a KindMissing error.
func (c *Client) Unlink(ctx context.Context, model string, ids []int64, o Options) error {
	res, err := c.ExecuteKw(ctx, model, "unlink", []any{idsArg(ids)}, o.kwargs(false))
	if err != nil {
		return err
	}
	if ok, _ := res.(bool); !ok {
		return shapeError(model, "unlink", res)
	}
	return nil
}

// DefaultFieldAttributes is what FieldsGet asks for when attrs is empty.
var DefaultFieldAttributes = []string{"string", "type", "relation", "required", "readonly", "selection", "store"}

// FieldsGet describes every field of model (a startup check, not a
// per-request call).
func (c *Client) FieldsGet(ctx context.Context, model string, attrs []string) (map[string]FieldInfo, error) {
	if len(attrs) == 0 {
		attrs = DefaultFieldAttributes
	}
	res, err := c.ExecuteKw(ctx, model, "fields_get", []any{}, map[string]any{"attributes": fieldsArg(attrs)})
	if err != nil {
		return nil, err
	}
	m, ok := res.(map[string]any)
	if !ok {
		return nil, shapeError(model, "fields_get", res)
	}
	out := make(map[string]FieldInfo, len(m))
	for name, v := range m {
		d, ok := v.(map[string]any)
		if !ok {
			return nil, shapeError(model, "fields_get", v)
		}
		out[name] = fieldInfo(name, Record(d))
	}
	return out, nil
}

func fieldInfo(name string, d Record) FieldInfo {
	fi := FieldInfo{Name: name, Required: d.Bool("required"), Readonly: d.Bool("readonly"), Store: d.Bool("store")}
	fi.String, _ = d.String("string")
	fi.Type, _ = d.String("type")
	fi.Relation, _ = d.String("relation")
	sel, _ := d["selection"].([]any)
	for _, s := range sel {
		pair, ok := s.([]any)
		if !ok || len(pair) != 2 {
			continue
		}
		fi.Selection = append(fi.Selection, [2]string{fmt.Sprint(pair[0]), fmt.Sprint(pair[1])})
	}
	return fi
}

// WebRead reads the records ids with a nested specification: children and
// many2one targets come back as objects in the same call (Odoo 17
// web_read; transcripts/11). Missing ids are left out.
func (c *Client) WebRead(ctx context.Context, model string, ids []int64, spec Spec, o Options) ([]Record, error) {
	if len(spec) == 0 {
		return nil, errNoFields
	}
	kw := o.kwargs(false)
	kw["specification"] = spec
	res, err := c.ExecuteKw(ctx, model, "web_read", []any{idsArg(ids)}, kw)
	if err != nil {
		return nil, err
	}
	return records(model, "web_read", res)
}

// WebSearchRead returns one page of the records matching domain, read with
// spec, and the total number of matches.
func (c *Client) WebSearchRead(ctx context.Context, model string, domain Domain, spec Spec, o Options) (total int64, recs []Record, err error) {
	if len(spec) == 0 {
		return 0, nil, errNoFields
	}
	kw := o.kwargs(true)
	kw["domain"] = domainArg(domain)
	kw["specification"] = spec
	res, err := c.ExecuteKw(ctx, model, "web_search_read", []any{}, kw)
	if err != nil {
		return 0, nil, err
	}
	m, ok := res.(map[string]any)
	if !ok {
		return 0, nil, shapeError(model, "web_search_read", res)
	}
	total, ok = m["length"].(int64)
	if !ok {
		return 0, nil, shapeError(model, "web_search_read", m["length"])
	}
	recs, err = records(model, "web_search_read", m["records"])
	return total, recs, err
}

func records(model, method string, res any) ([]Record, error) {
	list, ok := res.([]any)
	if !ok {
		return nil, shapeError(model, method, res)
	}
	out := make([]Record, len(list))
	for i, v := range list {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, shapeError(model, method, v)
		}
		out[i] = Record(m)
	}
	return out, nil
}

func int64s(model, method string, res any) ([]int64, error) {
	list, ok := res.([]any)
	if !ok {
		return nil, shapeError(model, method, res)
	}
	out := make([]int64, len(list))
	for i, v := range list {
		id, ok := v.(int64)
		if !ok {
			return nil, shapeError(model, method, v)
		}
		out[i] = id
	}
	return out, nil
}

var _ Caller = (*Client)(nil)
