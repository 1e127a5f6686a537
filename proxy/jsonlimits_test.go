package proxy

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

var testJSONLimits = jsonLimits{maxDepth: 6, maxItems: 5, byKey: map[string]int{"members": 2, "bank_ids": 3, "ids": 2}, maxBatch: 3}

func TestJSONLimitsFindTheFirstExcess(t *testing.T) {
	tests := []struct {
		name, body, pointer string
	}{
		{"within limits", `{"name":"A","bank_ids":[{},{},{}],"ids":[{},{}],"x":[1,2,3,4,5]}`, ""},
		{"too deep", `{"a":{"b":{"c":{"d":{"e":{"f":{}}}}}}}`, "/a/b/c/d/e/f"},
		{"too many members", `{"members":[{},{},{}]}`, "/members"},
		{"too many accounts of a member", `{"members":[{"bank_ids":[]},{"bank_ids":[{},{},{},{}]}]}`, "/members/1/bank_ids"},
		{"too many ids", `{"ids":[{},{},{}]}`, "/ids"},
		{"batch too long", `[{},{},{},{}]`, ""},
		{"any other array", `{"phone_numbers":[1,2,3,4,5,6]}`, "/phone_numbers"},
		{"key with a slash", `{"a/b":[1,2,3,4,5,6]}`, "/a~1b"},
		{"empty key", `{"":[1,2,3,4,5,6]}`, "/"},
		{"malformed is not ours to report", `{"members":[{},{},`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testJSONLimits.check([]byte(tt.body))
			switch {
			case tt.name == "within limits" || strings.HasPrefix(tt.name, "malformed"):
				if e != nil {
					t.Fatalf("refused: %v", e)
				}
			case e == nil:
				t.Fatal("accepted")
			case e.pointer != tt.pointer:
				t.Errorf("pointer %q (%s), want %q", e.pointer, e.message, tt.pointer)
			}
		})
	}
}

func TestJSONLimitsAnswer413WithAPointer(t *testing.T) {
	ts := newPlatformServer(t, Deps{})
	var got string
	g := ts.group()
	g.Use(testJSONLimits.handler(ts.fail))
	g.POST("/group", func(c *gin.Context) {
		body, _ := ts.readBody(c)
		got = string(body)
		c.Status(http.StatusNoContent)
	})
	path := ts.cfg.Server.BasePath + "/test/group"
	r := ts.do(t, "POST", path, platformFullKey, strings.NewReader(`{"members":[{},{},{}]}`))
	requirePlatformProblem(t, r, http.StatusRequestEntityTooLarge, "payload_too_large")
	if len(r.problem.Errors) != 1 || r.problem.Errors[0].Pointer != "/members" {
		t.Errorf("errors = %+v, want a pointer at /members", r.problem.Errors)
	}
	if r := ts.do(t, "POST", path, platformFullKey, strings.NewReader(`{"members":[]}`)); r.Code != http.StatusNoContent || got != `{"members":[]}` {
		t.Errorf("accepted body: %d, handler read %q", r.Code, got)
	}
}
