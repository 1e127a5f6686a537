package proxy

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// queryParams lists, per API route (method and path under the base path),
// the query parameters it accepts; each may be given once. A route that is
// not listed accepts none. Anything else is refused: a misspelt filter
// (?limt=5, ?acc_numbr=…) must not silently widen what a payment system
// reads or writes. openapi.json documents the same lists (a test compares
// them).
var queryParams = map[string][]string{
	"GET /individual":                    {"_id", "name", "limit", "offset"},
	"PUT /update_individual":             {"id_type"},
	"GET /get_individual_ids":            {"include_id_type", "exclude_id_type"},
	"GET /get_ids":                       {"include_id_type", "exclude_id_type"},
	"GET /group":                         {"_id", "name", "include_members_full", "limit", "offset"},
	"GET /registrants/:id/bank-accounts": {"include_archived"},
	"GET /bank-accounts":                 {"updated_since", "cursor", "limit", "acc_number"},
	"GET /banks":                         {"name", "bic"},
}

// checkQuery refuses, with one 422 naming each, query parameters the route
// does not accept, parameters given more than once (of two values neither
// can be taken for the client's intent) and pairs that do not decode (Go's
// URL parser would drop them silently, and with them a filter).
func (s *Server) checkQuery(c *gin.Context) {
	route := strings.TrimPrefix(c.FullPath(), s.cfg.Server.BasePath)
	accepted := queryParams[c.Request.Method+" "+route]
	var qp queryProblems
	seen := map[string]bool{}
	for _, pair := range strings.Split(c.Request.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil || strings.Contains(pair, ";") {
			if err != nil {
				name = rawName
			}
			qp.add(name, "is not a well-formed query parameter (name=value, percent-encoded, separated by &)")
			continue
		}
		switch {
		case !slices.Contains(accepted, name):
			qp.add(name, unknownParameter(accepted))
		case seen[name]:
			qp.add(name, "must be given once")
		default:
			if _, err := url.QueryUnescape(rawValue); err != nil {
				qp.add(name, "is not percent-encoded correctly")
			}
		}
		seen[name] = true
	}
	if err := qp.err(); err != nil {
		s.fail(c, err)
		return
	}
	c.Next()
}

func unknownParameter(accepted []string) string {
	if len(accepted) == 0 {
		return "is not a query parameter of this endpoint, which takes none"
	}
	return "is not a query parameter of this endpoint, which takes " + strings.Join(accepted, ", ")
}

// queryProblems collects bad query parameters.
type queryProblems []mapping.FieldError

func (q *queryProblems) add(param, msg string) {
	*q = append(*q, mapping.FieldError{Parameter: param, Message: msg})
}

func (q queryProblems) err() error {
	if len(q) == 0 {
		return nil
	}
	msg := q[0].Parameter + ": " + q[0].Message
	switch len(q) {
	case 1:
	case 2:
		msg += " (and 1 more problem)"
	default:
		msg += fmt.Sprintf(" (and %d more problems)", len(q)-1)
	}
	return &mapping.Error{Code: mapping.CodeValidationFailed, Message: msg, Fields: q}
}

// queryText returns the optional query parameter name ("" when absent;
// checkQuery has made sure it is given at most once). Like body text it
// must be valid UTF-8 without control characters (Odoo would refuse them
// with a server fault).
func queryText(c *gin.Context, name string, q *queryProblems) string {
	v := c.Query(name)
	if msg := mapping.TextProblem(v); v != "" && msg != "" {
		q.add(name, msg)
		return ""
	}
	return v
}

// intQuery parses an optional non-negative integer query parameter (0 when
// absent).
func intQuery(c *gin.Context, name string, q *queryProblems) int64 {
	raw := strings.TrimSpace(queryText(c, name, q))
	if raw == "" {
		return 0
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		q.add(name, "must be a non-negative integer")
		return 0
	}
	return n
}

// limitQuery parses the optional page size: at least 1; larger than the
// largest page is capped by the service.
func (s *Server) limitQuery(c *gin.Context, q *queryProblems) int {
	raw := strings.TrimSpace(queryText(c, "limit", q))
	if raw == "" {
		return 0
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 1 {
		q.add("limit", fmt.Sprintf("must be a whole number from 1 to %d (larger values are capped)", s.cfg.Registry.MaxPageSize))
		return 0
	}
	return int(min(n, 1<<20))
}

// idQuery parses an optional record id query parameter (0 when absent).
func idQuery(c *gin.Context, name string, q *queryProblems) int64 {
	raw := strings.TrimSpace(queryText(c, name, q))
	if raw == "" {
		return 0
	}
	id, ok := mapping.ParseRecordID(raw)
	if !ok {
		q.add(name, fmt.Sprintf("must be a record id from 1 to %d", mapping.MaxRecordID))
		return 0
	}
	return id
}

// boolQuery parses an optional true/false query parameter.
func boolQuery(c *gin.Context, name string, q *queryProblems) bool {
	raw := strings.TrimSpace(queryText(c, name, q))
	if raw == "" {
		return false
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		q.add(name, "must be true or false")
	}
	return b
}
