package proxy

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// AccountsService is what the bank-account endpoints need;
// *mapping.Accounts satisfies it.
type AccountsService interface {
	List(ctx context.Context, registrantID int64, includeArchived bool) ([]mapping.BankAccount, error)
	Get(ctx context.Context, registrantID, accountID int64) (mapping.BankAccount, error)
	Create(ctx context.Context, registrantID int64, req *mapping.BankAccountRequest) (acc mapping.BankAccount, created bool, err error)
	Update(ctx context.Context, registrantID, accountID int64, req *mapping.BankAccountRequest) (mapping.BankAccount, error)
	Archive(ctx context.Context, registrantID, accountID int64) error
	Feed(ctx context.Context, q mapping.FeedQuery) (mapping.FeedPage, error)
	Banks(ctx context.Context, name, bic string) ([]mapping.BankEntry, error)
}

// accountHandlers serve the bank-account resources (DESIGN.md §4.2).
type accountHandlers struct {
	s   *Server
	svc AccountsService
}

// registerAccountRoutes adds the bank-account resources under g. Reads need
// bank_accounts:read (full account numbers also bank_accounts:read_full),
// writes bank_accounts:write.
func (s *Server) registerAccountRoutes(g *gin.RouterGroup, svc AccountsService) {
	h := &accountHandlers{s: s, svc: svc}
	read := s.requireScope(config.ScopeBankAccountsRead)
	write := s.requireScope(config.ScopeBankAccountsWrite)
	g.GET("/registrants/:id/bank-accounts", read, h.list)
	g.POST("/registrants/:id/bank-accounts", write, h.create)
	g.GET("/registrants/:id/bank-accounts/:account_id", read, h.get)
	g.PATCH("/registrants/:id/bank-accounts/:account_id", write, h.update)
	g.DELETE("/registrants/:id/bank-accounts/:account_id", write, h.archive)
	g.GET("/bank-accounts", read, s.requireScopeForParam("acc_number", config.ScopeBankAccountsReadFull), h.feed)
	g.GET("/banks", read, h.banks)
}

// fullNumbers reports whether the client may see whole account numbers;
// everyone else sees the last four characters ("****7890").
func fullNumbers(c *gin.Context) bool {
	scopes, _ := c.Get(ctxScopes)
	granted, _ := scopes.([]string)
	return slices.Contains(granted, config.ScopeBankAccountsReadFull)
}

func (h *accountHandlers) show(c *gin.Context, acc mapping.BankAccount) mapping.BankAccount {
	if fullNumbers(c) {
		return acc
	}
	return acc.Masked()
}

// pathIDs parses the registrant id and, when withAccount, the account id.
// Anything but a record id (1 to mapping.MaxRecordID) names nothing: 404.
func (h *accountHandlers) pathIDs(c *gin.Context, withAccount bool) (registrant, account int64, ok bool) {
	parse := func(param, what string) (int64, bool) {
		raw := c.Param(param)
		id, ok := mapping.ParseRecordID(raw)
		if !ok {
			h.s.fail(c, &mapping.Error{Code: mapping.CodeNotFound, Message: fmt.Sprintf("%s %q not found", what, raw)})
			return 0, false
		}
		return id, true
	}
	if registrant, ok = parse("id", "registrant"); !ok || !withAccount {
		return registrant, 0, ok
	}
	account, ok = parse("account_id", "bank account")
	return registrant, account, ok
}

func (h *accountHandlers) list(c *gin.Context) {
	p, _, ok := h.pathIDs(c, false)
	if !ok {
		return
	}
	var qp queryProblems
	archived := boolQuery(c, "include_archived", &qp)
	if err := qp.err(); err != nil {
		h.s.fail(c, err)
		return
	}
	accounts, err := h.svc.List(c.Request.Context(), p, archived)
	if err != nil {
		h.s.fail(c, err)
		return
	}
	for i := range accounts {
		accounts[i] = h.show(c, accounts[i])
	}
	c.JSON(http.StatusOK, accounts)
}

func (h *accountHandlers) get(c *gin.Context) {
	p, id, ok := h.pathIDs(c, true)
	if !ok {
		return
	}
	acc, err := h.svc.Get(c.Request.Context(), p, id)
	if err != nil {
		h.s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, h.show(c, acc))
}

// create answers 201 with Location for a new account, 200 with the stored
// account when the registrant already has the number (in any formatting),
// reactivating it if it was archived: a retried POST never duplicates.
func (h *accountHandlers) create(c *gin.Context) {
	p, _, ok := h.pathIDs(c, false)
	if !ok {
		return
	}
	var req mapping.BankAccountRequest
	if !h.s.decodeBody(c, &req) {
		return
	}
	acc, created, err := h.svc.Create(c.Request.Context(), p, &req)
	if err != nil {
		h.s.fail(c, err)
		return
	}
	c.Header("Location", strings.TrimSuffix(c.Request.URL.Path, "/")+"/"+strconv.FormatInt(acc.ID, 10))
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, h.show(c, acc))
}

func (h *accountHandlers) update(c *gin.Context) {
	p, id, ok := h.pathIDs(c, true)
	if !ok {
		return
	}
	var req mapping.BankAccountRequest
	if !h.s.decodeBody(c, &req) {
		return
	}
	acc, err := h.svc.Update(c.Request.Context(), p, id, &req)
	if err != nil {
		h.s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, h.show(c, acc))
}

// archive answers 204 whether the account was active or already archived:
// DELETE is idempotent, and an archived account stays readable with
// include_archived.
func (h *accountHandlers) archive(c *gin.Context) {
	p, id, ok := h.pathIDs(c, true)
	if !ok {
		return
	}
	if err := h.svc.Archive(c.Request.Context(), p, id); err != nil {
		h.s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *accountHandlers) feed(c *gin.Context) {
	var qp queryProblems
	q := mapping.FeedQuery{
		UpdatedSince: queryText(c, "updated_since", &qp),
		Cursor:       queryText(c, "cursor", &qp),
		Limit:        h.s.limitQuery(c, &qp),
		AccNumber:    queryText(c, "acc_number", &qp),
	}
	if err := qp.err(); err != nil {
		h.s.fail(c, err)
		return
	}
	page, err := h.svc.Feed(c.Request.Context(), q)
	if err != nil {
		h.s.fail(c, err)
		return
	}
	if !fullNumbers(c) {
		for i := range page.Items {
			page.Items[i] = page.Items[i].Masked()
		}
	}
	c.JSON(http.StatusOK, page)
}

func (h *accountHandlers) banks(c *gin.Context) {
	var qp queryProblems
	name, bic := queryText(c, "name", &qp), queryText(c, "bic", &qp)
	if err := qp.err(); err != nil {
		h.s.fail(c, err)
		return
	}
	banks, err := h.svc.Banks(c.Request.Context(), name, bic)
	if err != nil {
		h.s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, banks)
}
