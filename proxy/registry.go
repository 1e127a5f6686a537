package proxy

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// RegistryService is what the compatible registry endpoints need;
// *mapping.Registry satisfies it.
type RegistryService interface {
	CreateIndividual(ctx context.Context, req *mapping.IndividualRequest) (mapping.Individual, error)
	GetIndividual(ctx context.Context, id int64) (mapping.Individual, error)
	SearchIndividuals(ctx context.Context, q mapping.SearchQuery) (mapping.Page[mapping.Individual], error)
	UpdateIndividuals(ctx context.Context, idType string, items []mapping.UpdateIndividualRequest) ([]mapping.UpdateResult, error)
	IndividualIDs(ctx context.Context, include, exclude string) ([]string, error)
	CreateGroup(ctx context.Context, req *mapping.GroupRequest) (mapping.Group, error)
	GetGroup(ctx context.Context, id int64) (mapping.Group, error)
	SearchGroups(ctx context.Context, q mapping.SearchQuery, withMembers bool) (mapping.Page[mapping.Group], error)
}

// totalCountHeader carries the number of matches of a search (the body is
// the page, as the original's unpaged list).
const totalCountHeader = "X-Total-Count"

// registerRegistryRoutes adds the endpoints of the original
// g2p_registry_rest_api (same paths and wire keys), including the aliases of
// the version OpenSPP pins (trailing-slash POSTs, /get_ids).
func (s *Server) registerRegistryRoutes(g *gin.RouterGroup) {
	read := s.requireScope(config.ScopeRegistryRead)
	write := s.requireScope(config.ScopeRegistryWrite)
	accounts := s.requireAccountsWrite // when the body carries bank_ids
	for _, p := range []string{"/individual", "/individual/"} {
		g.POST(p, write, accounts, s.createIndividual)
	}
	g.GET("/individual", read, s.searchIndividuals)
	g.GET("/individual/:id", read, s.getIndividual)
	g.PUT("/update_individual", write, accounts, s.updateIndividuals)
	for _, p := range []string{"/get_individual_ids", "/get_ids"} {
		g.GET(p, read, s.individualIDs)
	}
	for _, p := range []string{"/group", "/group/"} {
		g.POST(p, write, accounts, s.createGroup)
	}
	g.GET("/group", read, s.searchGroups)
	g.GET("/group/:id", read, s.getGroup)
}

// decodeBody reads the bounded body and decodes it strictly into v; on
// failure it has answered.
func (s *Server) decodeBody(c *gin.Context, v any) bool {
	if err := checkJSONContentType(c.GetHeader("Content-Type")); err != nil {
		s.fail(c, err)
		return false
	}
	body, ok := s.readBody(c)
	if !ok {
		return false
	}
	if err := mapping.DecodeStrict(body, v); err != nil {
		s.fail(c, err)
		return false
	}
	return true
}

// checkJSONContentType refuses a body declared as something else than JSON
// in UTF-8: another media type, or another charset (the bytes would be
// misread). No Content-Type at all is taken as JSON, as the original did.
func checkJSONContentType(header string) error {
	if strings.TrimSpace(header) == "" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(header)
	switch {
	case err != nil || (mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))):
		return &mapping.Error{Code: mapping.CodeUnsupportedMediaType,
			Message: fmt.Sprintf("the body must be JSON (Content-Type: application/json), not %q", header)}
	case params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8"):
		return &mapping.Error{Code: mapping.CodeUnsupportedMediaType,
			Message: fmt.Sprintf("the body must be UTF-8, not charset %q", params["charset"])}
	}
	return nil
}

func (s *Server) createIndividual(c *gin.Context) {
	var req mapping.IndividualRequest
	if !s.decodeBody(c, &req) {
		return
	}
	ind, err := s.deps.Registry.CreateIndividual(c.Request.Context(), &req)
	if err != nil {
		s.fail(c, err)
		return
	}
	// 200 like the original (it never sent 201).
	c.JSON(http.StatusOK, ind)
}

// pathID parses the {id} of a path; anything but a record id (1 to
// mapping.MaxRecordID) names no record, so it is a 404.
func (s *Server) pathID(c *gin.Context, what string) (int64, bool) {
	raw := c.Param("id")
	id, ok := mapping.ParseRecordID(raw)
	if !ok {
		s.fail(c, &mapping.Error{Code: mapping.CodeNotFound, Message: fmt.Sprintf("%s %q not found", what, raw), LegacyCode: mapping.LegacyNotPresent})
		return 0, false
	}
	return id, true
}

func (s *Server) getIndividual(c *gin.Context) {
	id, ok := s.pathID(c, "individual")
	if !ok {
		return
	}
	ind, err := s.deps.Registry.GetIndividual(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ind)
}

// searchQuery reads _id, name, limit and offset.
func (s *Server) searchQuery(c *gin.Context, q *queryProblems) mapping.SearchQuery {
	sq := mapping.SearchQuery{
		ID:     idQuery(c, "_id", q),
		Name:   queryText(c, "name", q),
		Limit:  s.limitQuery(c, q),
		Offset: int(min(intQuery(c, "offset", q), 1<<31-1)),
	}
	return sq
}

func (s *Server) searchIndividuals(c *gin.Context) {
	var qp queryProblems
	q := s.searchQuery(c, &qp)
	if err := qp.err(); err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.deps.Registry.SearchIndividuals(c.Request.Context(), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header(totalCountHeader, strconv.FormatInt(page.Total, 10))
	c.JSON(http.StatusOK, page.Items)
}

// updateIndividuals answers 200 with the updated individuals in input order
// when every item was applied; otherwise the problem of the first failed
// item, listing every failed item (see mapping.UpdateIndividuals for the
// batch semantics).
func (s *Server) updateIndividuals(c *gin.Context) {
	var qp queryProblems
	idType := queryText(c, "id_type", &qp)
	if err := qp.err(); err != nil {
		s.fail(c, err)
		return
	}
	var items []mapping.UpdateIndividualRequest
	if !s.decodeBody(c, &items) {
		return
	}
	results, err := s.deps.Registry.UpdateIndividuals(c.Request.Context(), idType, items)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := mapping.BatchError(results); err != nil {
		s.fail(c, err)
		return
	}
	out := make([]mapping.Individual, 0, len(results))
	for _, r := range results {
		if r.Individual != nil {
			out = append(out, *r.Individual)
		}
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) individualIDs(c *gin.Context) {
	var qp queryProblems
	include, exclude := queryText(c, "include_id_type", &qp), queryText(c, "exclude_id_type", &qp)
	if err := qp.err(); err != nil {
		s.fail(c, err)
		return
	}
	ids, err := s.deps.Registry.IndividualIDs(c.Request.Context(), include, exclude)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ids)
}

func (s *Server) createGroup(c *gin.Context) {
	var req mapping.GroupRequest
	if !s.decodeBody(c, &req) {
		return
	}
	g, err := s.deps.Registry.CreateGroup(c.Request.Context(), &req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, g)
}

func (s *Server) getGroup(c *gin.Context) {
	id, ok := s.pathID(c, "group")
	if !ok {
		return
	}
	g, err := s.deps.Registry.GetGroup(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, g)
}

func (s *Server) searchGroups(c *gin.Context) {
	var qp queryProblems
	q := s.searchQuery(c, &qp)
	full := boolQuery(c, "include_members_full", &qp)
	if err := qp.err(); err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.deps.Registry.SearchGroups(c.Request.Context(), q, full)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header(totalCountHeader, strconv.FormatInt(page.Total, 10))
	if full {
		c.JSON(http.StatusOK, page.Items)
		return
	}
	short := make([]mapping.GroupShort, 0, len(page.Items))
	for _, g := range page.Items {
		short = append(short, g.GroupShort)
	}
	c.JSON(http.StatusOK, short)
}
