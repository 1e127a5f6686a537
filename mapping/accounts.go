package mapping

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
)

// Odoo models and fields of the bank-account resources.
const (
	modelPartner = "res.partner"
	modelAccount = "res.partner.bank"
	// accountBankFK is the constraint Odoo names when bank_id points at a
	// bank that no longer exists (transcripts/04 step 07).
	accountBankFK = "res_partner_bank_bank_id_fkey"
)

// BankSummary is the bank of an account as responses show it.
type BankSummary struct {
	ID   int64   `json:"id"`
	Name *string `json:"name"`
	BIC  *string `json:"bic"`
}

// BankAccount is one res.partner.bank of a registrant as the bank-account
// resources show it. Trusted is Odoo's allow_out_payment ("Send Money");
// UpdatedAt is write_date in ISO 8601 UTC.
type BankAccount struct {
	ID                 int64        `json:"id"`
	RegistrantID       int64        `json:"registrant_id"`
	Bank               *BankSummary `json:"bank"`
	AccNumber          string       `json:"acc_number"`
	AccNumberSanitized string       `json:"acc_number_sanitized"`
	AccHolderName      *string      `json:"acc_holder_name"`
	Active             bool         `json:"active"`
	Trusted            bool         `json:"trusted"`
	UpdatedAt          *string      `json:"updated_at"`
}

// Masked returns the account with acc_number and acc_number_sanitized
// reduced to their last four characters ("****7890"), for clients that may
// not see full numbers.
func (b BankAccount) Masked() BankAccount {
	b.AccNumber = AccountNumber(b.AccNumber).Masked()
	b.AccNumberSanitized = AccountNumber(b.AccNumberSanitized).Masked()
	return b
}

// AccountsOptions tune the bank-account service. Zero values get defaults.
type AccountsOptions struct {
	DefaultPageSize int // feed page size when the client sends none; default 100
	MaxPageSize     int // largest feed page; default 500
	// SettleDelay holds back, from the feed, accounts written less than this
	// long ago (default 5s; negative: none). Odoo stamps write_date when a
	// transaction starts, not when it commits, so a row can appear behind a
	// cursor that has already passed its time; waiting lets such
	// transactions commit before their rows are paged.
	SettleDelay time.Duration
	// Now is the clock the settle delay is measured with (tests).
	Now func() time.Time
}

func (o *AccountsOptions) defaults() {
	if o.MaxPageSize <= 0 {
		o.MaxPageSize = 500
	}
	if o.DefaultPageSize <= 0 {
		o.DefaultPageSize = 100
	}
	o.DefaultPageSize = min(o.DefaultPageSize, o.MaxPageSize)
	switch {
	case o.SettleDelay == 0:
		o.SettleDelay = 5 * time.Second
	case o.SettleDelay < 0:
		o.SettleDelay = 0
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Accounts is the service behind the bank-account resources: a
// registrant's accounts, the change feed and the bank directory. Banks are
// resolved by the BankResolver the registry endpoints use, so both agree on
// which res.bank a name or BIC means.
type Accounts struct {
	odoo  Odoo
	banks *BankResolver
	opts  AccountsOptions
	log   *zap.Logger
}

// NewAccounts builds the service; banks must be the registry's resolver
// (Registry.Banks) so that the cache and the single-flight creation of new
// banks are shared.
func NewAccounts(o Odoo, banks *BankResolver, opts AccountsOptions, log *zap.Logger) *Accounts {
	opts.defaults()
	if log == nil {
		log = zap.NewNop()
	}
	return &Accounts{odoo: o, banks: banks, opts: opts, log: log}
}

// withArchived reads archived records too: accounts are archived, never
// deleted, and the unique constraint counts archived rows (reference E3).
func withArchived(o odoo.Options) odoo.Options {
	inactive := false
	o.ActiveTest = &inactive
	return o
}

// accountSpec reads an account with its bank in one call. It never names
// iban: g2p_bank computes it on read and it raises for many banks
// (transcripts/09).
func accountSpec() odoo.Spec {
	return odoo.Spec{
		"partner_id":           odoo.Spec{},
		"bank_id":              odoo.Spec{"fields": odoo.Fields("name", "bic")},
		"acc_number":           odoo.Spec{},
		"sanitized_acc_number": odoo.Spec{},
		"acc_holder_name":      odoo.Spec{},
		"active":               odoo.Spec{},
		"allow_out_payment":    odoo.Spec{},
		"write_date":           odoo.Spec{},
	}
}

func toBankAccount(r odoo.Record) BankAccount {
	out := BankAccount{
		ID:            r.ID(),
		AccHolderName: str(r, "acc_holder_name"),
		Active:        r.Bool("active"),
		Trusted:       r.Bool("allow_out_payment"),
		UpdatedAt:     datetime(r, "write_date"),
	}
	if p, ok := r.Many2One("partner_id"); ok {
		out.RegistrantID = p.ID
	}
	out.AccNumber, _ = r.String("acc_number")
	out.AccNumberSanitized, _ = r.String("sanitized_acc_number")
	if b, ok := r.Record("bank_id"); ok {
		out.Bank = &BankSummary{ID: b.ID(), Name: str(b, "name"), BIC: str(b, "bic")}
	}
	return out
}

// ofRegistrant restricts an account search to the accounts of registrant
// p; accounts of other partners (companies, users) and of archived
// registrants (e.g. a group whose creation was compensated) are not
// resources here.
func ofRegistrant(p int64) odoo.Domain {
	return odoo.Domain{odoo.Cond("partner_id", "=", p), odoo.Cond("partner_id.is_registrant", "=", true),
		odoo.Cond("partner_id.active", "=", true)}
}

func registrantNotFound(p int64) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("registrant %d not found", p)}
}

func accountNotFound(p, id int64) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("registrant %d has no bank account %d", p, id)}
}

// List returns the accounts of registrant p in Odoo's order, the archived
// ones only when includeArchived is set. One Odoo call: the registrant and
// its accounts (with their banks) in one web_read. Not found: the registrant
// does not exist, is not a registrant or is archived.
func (a *Accounts) List(ctx context.Context, p int64, includeArchived bool) ([]BankAccount, error) {
	spec := odoo.Spec{"is_registrant": odoo.Spec{}, "active": odoo.Spec{}, "bank_ids": odoo.Spec{"fields": accountSpec()}}
	recs, err := a.odoo.WebRead(ctx, modelPartner, []int64{p}, spec, withArchived(odoo.Options{}))
	if err != nil {
		return nil, FromOdoo(err)
	}
	if len(recs) == 0 || !recs[0].Bool("is_registrant") || !recs[0].Bool("active") {
		return nil, registrantNotFound(p)
	}
	out := []BankAccount{}
	for _, r := range recs[0].Records("bank_ids") {
		acc := toBankAccount(r)
		acc.RegistrantID = p
		if acc.Active || includeArchived {
			out = append(out, acc)
		}
	}
	return out, nil
}

// Get returns account id of registrant p, archived or not (one call).
func (a *Accounts) Get(ctx context.Context, p, id int64) (BankAccount, error) {
	r, err := a.find(ctx, p, id)
	if err != nil {
		return BankAccount{}, err
	}
	return toBankAccount(r), nil
}

// find reads account id if it belongs to registrant p.
func (a *Accounts) find(ctx context.Context, p, id int64) (odoo.Record, error) {
	domain := append(odoo.Domain{odoo.Cond("id", "=", id)}, ofRegistrant(p)...)
	_, recs, err := a.odoo.WebSearchRead(ctx, modelAccount, domain, accountSpec(), withArchived(odoo.Options{Limit: 1}))
	if err != nil {
		return nil, FromOdoo(err)
	}
	if len(recs) == 0 {
		return nil, accountNotFound(p, id)
	}
	return recs[0], nil
}

// findByNumber returns registrant p's account with number in any
// formatting, archived or not. The search is on acc_number, which Odoo
// rewrites to the sanitized column with a sanitized value (transcripts/04
// step 18), so Odoo, not the proxy, decides what "the same number" is.
func (a *Accounts) findByNumber(ctx context.Context, p int64, number AccountNumber) (odoo.Record, bool, error) {
	domain := append(odoo.Domain{odoo.Cond("acc_number", "=", string(number))}, ofRegistrant(p)...)
	_, recs, err := a.odoo.WebSearchRead(ctx, modelAccount, domain, accountSpec(), withArchived(odoo.Options{Limit: 1, Order: "id asc"}))
	if err != nil {
		return nil, false, FromOdoo(err)
	}
	if len(recs) == 0 {
		return nil, false, nil
	}
	return recs[0], true, nil
}

// readBack reads an account after a write, for the response.
func (a *Accounts) readBack(ctx context.Context, id int64) (BankAccount, error) {
	recs, err := a.odoo.WebRead(ctx, modelAccount, []int64{id}, accountSpec(), withArchived(odoo.Options{}))
	if err != nil {
		return BankAccount{}, FromOdoo(err)
	}
	if len(recs) == 0 {
		return BankAccount{}, &Error{Code: CodeConflict, Message: fmt.Sprintf("bank account %d was deleted while it was being changed", id)}
	}
	return toBankAccount(recs[0]), nil
}

// requireRegistrant fails with not_found unless p is an active registrant.
func (a *Accounts) requireRegistrant(ctx context.Context, p int64) error {
	recs, err := a.odoo.SearchRead(ctx, modelPartner, odoo.Domain{odoo.Cond("id", "=", p), odoo.Cond("is_registrant", "=", true)},
		[]string{"id"}, odoo.Options{Limit: 1})
	if err != nil {
		return FromOdoo(err)
	}
	if len(recs) == 0 {
		return registrantNotFound(p)
	}
	return nil
}

// Create adds an account to registrant p. created is false when the
// registrant already had the number, in any formatting: the stored account
// is returned unchanged when it is at the bank the request names (a number
// at another bank is a conflict: PATCH re-points it), or reactivated (with
// the bank and holder of the request) when it was archived. Nothing is ever
// duplicated, including when a concurrent request creates the same number
// first.
//
// Odoo calls: 1 for a number the registrant already has (plus a directory
// read for an uncached bank); 3 to reactivate
// (search, write, read-back); 4 for a new account (search, registrant check,
// create, read-back), plus the bank resolver's calls for an uncached bank.
func (a *Accounts) Create(ctx context.Context, p int64, req *BankAccountRequest) (acc BankAccount, created bool, err error) {
	in, err := parseAccountInput(req, modeCreate)
	if err != nil {
		return BankAccount{}, false, err
	}
	existing, found, err := a.findByNumber(ctx, p, in.number)
	if err != nil {
		return BankAccount{}, false, err
	}
	if found && existing.Bool("active") {
		return a.sameAccount(ctx, p, existing, in)
	}
	if !found {
		if err := a.requireRegistrant(ctx, p); err != nil {
			return BankAccount{}, false, err
		}
	}
	bank, err := a.resolveBank(ctx, in.bank, in.bankPointer())
	if err != nil {
		return BankAccount{}, false, err
	}
	if msg := ibanRequiredAt(in.number, bank.BIC); msg != "" {
		return BankAccount{}, false, invalidField("/acc_number", msg)
	}
	if found {
		acc, err := a.reactivate(ctx, existing, in, bank)
		return acc, false, err
	}
	vals := odoo.Values{"partner_id": p, "acc_number": string(in.number)}
	if in.holder != "" {
		vals["acc_holder_name"] = in.holder
	}
	id, err := a.withBank(ctx, in.bank, bank, vals, func(vals odoo.Values) (int64, error) {
		return a.odoo.Create(ctx, modelAccount, vals, odoo.Options{})
	})
	if err != nil {
		if oe, ok := odoo.AsError(err); ok && oe.IsAccountNumberUnique() {
			// Another request created (or archived) the number between our
			// search and our create: answer with that account.
			existing, found, ferr := a.findByNumber(ctx, p, in.number)
			if ferr == nil && found {
				if existing.Bool("active") {
					return a.sameAccount(ctx, p, existing, in)
				}
				acc, err := a.reactivate(ctx, existing, in, bank)
				return acc, false, err
			}
		}
		return BankAccount{}, false, FromOdoo(err)
	}
	a.logWrite(ctx, "bank account created", zap.Int64("registrant_id", p), zap.Int64("account_id", id),
		zap.String("acc_number", in.number.Masked()), zap.Int64("bank_id", bank.ID))
	acc, err = a.readBack(ctx, id)
	return acc, true, err
}

// sameAccount answers a POST of a number registrant p already has on the
// active account existing: the account itself when the request names its
// bank (a retry), a conflict when it names another one — silently
// answering with the account at the old bank would let the client believe
// the payment goes where it asked. The bank is only looked up, never
// created, for this answer.
func (a *Accounts) sameAccount(ctx context.Context, p int64, existing odoo.Record, in accountInput) (BankAccount, bool, error) {
	acc := toBankAccount(existing)
	bank, found, err := a.banks.Lookup(ctx, in.bank)
	if err != nil {
		if e, ok := AsError(err); ok && e.Code == CodeUnknownReference {
			return BankAccount{}, false, &Error{Code: CodeUnknownReference, Message: e.Message, Fields: []FieldError{{Pointer: in.bankPointer(), Message: e.Message}}}
		}
		return BankAccount{}, false, err
	}
	if acc.Bank != nil && found && bank.ID == acc.Bank.ID {
		return acc, false, nil
	}
	at := "no bank"
	if acc.Bank != nil {
		at = fmt.Sprintf("bank %d", acc.Bank.ID)
		if acc.Bank.Name != nil {
			at = fmt.Sprintf("bank %q (id %d)", *acc.Bank.Name, acc.Bank.ID)
		}
	}
	msg := fmt.Sprintf("the registrant already has this number on bank account %d at %s, not at %s; "+
		"to move the account, PATCH /registrants/%d/bank-accounts/%d with the new bank", acc.ID, at, in.bank, p, acc.ID)
	return BankAccount{}, false, &Error{Code: CodeConflict, Message: msg, Fields: []FieldError{{Pointer: in.bankPointer(), Message: msg}}}
}

// reactivate unarchives an account re-added by a client, with the bank
// and holder the client sends now.
func (a *Accounts) reactivate(ctx context.Context, existing odoo.Record, in accountInput, bank Bank) (BankAccount, error) {
	id := existing.ID()
	vals := odoo.Values{"active": true}
	if in.holder != "" {
		vals["acc_holder_name"] = in.holder
	}
	if _, err := a.withBank(ctx, in.bank, bank, vals, func(vals odoo.Values) (int64, error) {
		return id, a.odoo.Write(ctx, modelAccount, []int64{id}, vals, odoo.Options{})
	}); err != nil {
		return BankAccount{}, refusedChange(err)
	}
	a.logWrite(ctx, "bank account reactivated", zap.Int64("account_id", id), zap.String("acc_number", in.number.Masked()))
	return a.readBack(ctx, id)
}

// withBank runs a create or write that sets bank_id to bank. When Odoo
// refuses the id because the bank was deleted since the resolver cached it
// (the FK fault of transcripts/04 step 07), the cache entry is dropped, ref
// resolved again and the call repeated once.
func (a *Accounts) withBank(ctx context.Context, ref BankRef, bank Bank, vals odoo.Values, call func(odoo.Values) (int64, error)) (int64, error) {
	vals["bank_id"] = bank.ID
	id, err := call(vals)
	if err == nil || !isForeignKeyFault(err, accountBankFK) {
		return id, err
	}
	a.banks.Forget(bank.ID)
	if bank, err = a.banks.Resolve(ctx, ref); err != nil {
		return 0, err
	}
	vals["bank_id"] = bank.ID
	return call(vals)
}

// resolveBank finds (or creates) the bank ref names; a bank the registry
// cannot use (archived, unknown BIC without a name) is reported on pointer.
func (a *Accounts) resolveBank(ctx context.Context, ref BankRef, pointer string) (Bank, error) {
	bank, err := a.banks.Resolve(ctx, ref)
	if err != nil {
		if e, ok := AsError(err); ok && e.Code == CodeUnknownReference {
			return Bank{}, &Error{Code: CodeUnknownReference, Message: e.Message, Fields: []FieldError{{Pointer: pointer, Message: e.Message}}}
		}
		return Bank{}, err
	}
	return bank, nil
}

func invalidField(pointer, msg string) *Error {
	return &Error{Code: CodeValidationFailed, Message: pointer + ": " + msg, Fields: []FieldError{{Pointer: pointer, Message: msg}}}
}

// Update changes the bank, holder name or number of account id of
// registrant p. A new bank re-points bank_id; bank_name is never written
// (it is related to res.bank.name: writing it renames the bank for every
// account). Errors: not_found when the account is not p's; conflict when
// p has another account with the new number (archived ones count) or when
// Odoo refuses to change the account (e.g. a trusted account's number with
// the account module installed).
//
// Odoo calls: read, write, read-back (plus the bank resolver's for an
// uncached bank; one more search to name the account a new number collides
// with, and one before a new bank is created with a new number).
func (a *Accounts) Update(ctx context.Context, p, id int64, req *BankAccountRequest) (BankAccount, error) {
	in, err := parseAccountInput(req, modeUpdate)
	if err != nil {
		return BankAccount{}, err
	}
	cur, err := a.find(ctx, p, id)
	if err != nil {
		return BankAccount{}, err
	}
	stored := toBankAccount(cur)
	vals := odoo.Values{}
	if in.numberSet && string(in.number) != stored.AccNumber {
		vals["acc_number"] = string(in.number)
	}
	if in.holderSet {
		switch {
		case in.holder == "" && stored.AccHolderName != nil:
			vals["acc_holder_name"] = false
		case in.holder != "" && (stored.AccHolderName == nil || *stored.AccHolderName != in.holder):
			vals["acc_holder_name"] = in.holder
		}
	}
	// The number must suit the bank it ends up at, whichever of the two
	// changes; a BIC sent is checked before it is resolved, so a refused
	// request creates no bank.
	number, pointer := AccountNumber(stored.AccNumber), "/acc_number"
	if in.numberSet {
		number = in.number
	} else if in.bankSet {
		pointer = in.bankPointer()
	}
	suits := func(bic string) error {
		if msg := ibanRequiredAt(number, bic); msg != "" && (in.numberSet || in.bankSet) {
			return invalidField(pointer, msg)
		}
		return nil
	}
	bic := ""
	if stored.Bank != nil && stored.Bank.BIC != nil {
		bic = *stored.Bank.BIC
	}
	var bank Bank
	if in.bankSet {
		if err := suits(in.bank.BIC); err != nil {
			return BankAccount{}, err
		}
		if err := a.numberFreeBeforeNewBank(ctx, p, id, in, vals); err != nil {
			return BankAccount{}, err
		}
		if bank, err = a.resolveBank(ctx, in.bank, in.bankPointer()); err != nil {
			return BankAccount{}, err
		}
		if stored.Bank == nil || stored.Bank.ID != bank.ID {
			vals["bank_id"] = bank.ID
		}
		bic = bank.BIC
	}
	if err := suits(bic); err != nil {
		return BankAccount{}, err
	}
	if len(vals) == 0 {
		return stored, nil
	}
	write := func(vals odoo.Values) (int64, error) {
		return id, a.odoo.Write(ctx, modelAccount, []int64{id}, vals, odoo.Options{})
	}
	if _, repoint := vals["bank_id"]; repoint {
		_, err = a.withBank(ctx, in.bank, bank, vals, write)
	} else {
		_, err = write(vals)
	}
	if err != nil {
		if oe, ok := odoo.AsError(err); ok && oe.IsAccountNumberUnique() {
			return BankAccount{}, a.numberTaken(ctx, p, in.number, err)
		}
		return BankAccount{}, refusedChange(err)
	}
	a.logWrite(ctx, "bank account updated", zap.Int64("registrant_id", p), zap.Int64("account_id", id),
		zap.Strings("fields", valueKeys(vals)))
	return a.readBack(ctx, id)
}

// numberFreeBeforeNewBank refuses, before the bank is created, a change
// that would re-point account id to a new bank and give it a number
// another account of registrant p has: the write would fail, and the new
// bank would stay behind. One Odoo call, only in that case.
func (a *Accounts) numberFreeBeforeNewBank(ctx context.Context, p, id int64, in accountInput, vals odoo.Values) error {
	if _, renumber := vals["acc_number"]; !renumber {
		return nil
	}
	if _, known, err := a.banks.Lookup(ctx, in.bank); err != nil || known {
		return nil // resolveBank reports the error; a known bank is not created
	}
	other, taken, err := a.findByNumber(ctx, p, in.number)
	if err != nil {
		return err
	}
	if taken && other.ID() != id {
		return a.numberTaken(ctx, p, in.number, nil)
	}
	return nil
}

// numberTaken explains a unique-constraint refusal: which account of the
// registrant already has the number, and whether it is archived (archived
// accounts block the number too).
func (a *Accounts) numberTaken(ctx context.Context, p int64, number AccountNumber, cause error) error {
	msg := "the registrant already has a bank account with this number"
	if other, found, err := a.findByNumber(ctx, p, number); err == nil && found {
		state := "active"
		if !other.Bool("active") {
			state = "archived; re-add the number with POST to reactivate it"
		}
		msg = fmt.Sprintf("the registrant already has this number on bank account %d (%s)", other.ID(), state)
	}
	return &Error{Code: CodeConflict, Message: msg, Fields: []FieldError{{Pointer: "/acc_number", Message: msg}}, Cause: cause}
}

// refusedChange maps Odoo's refusal of a write on an account. A
// UserError/ValidationError there is a state the client cannot fix by
// changing the request — most often the account module's lock on trusted
// accounts ("You cannot modify the account number or partner of an account
// that has been trusted.", reference E18) — so it is a conflict, not a
// validation error.
func refusedChange(err error) error {
	if oe, ok := odoo.AsError(err); ok && oe.Kind == odoo.KindValidation {
		return &Error{Code: CodeConflict, Cause: err,
			Message: "the registry refuses to change this bank account: " + cleanOdooMessage(oe.Message) +
				" To replace a locked account, add the new account and archive this one."}
	}
	return FromOdoo(err)
}

// Archive archives account id of registrant p with write(active=false):
// never unlink (it can delete what payments reference) and never
// action_archive (it returns None, which XML-RPC cannot marshal, so Odoo
// reports a failure after committing; reference E7). Archiving an archived
// account succeeds without a write. Odoo calls: 1 or 2.
func (a *Accounts) Archive(ctx context.Context, p, id int64) error {
	cur, err := a.find(ctx, p, id)
	if err != nil {
		return err
	}
	if !cur.Bool("active") {
		return nil
	}
	err = a.odoo.Write(ctx, modelAccount, []int64{id}, odoo.Values{"active": false}, odoo.Options{})
	if err != nil && odoo.IsKind(err, odoo.KindServer) {
		// A server fault on a mutating call may come after the commit:
		// trust the stored state, not the fault.
		if now, rerr := a.find(ctx, p, id); rerr == nil && !now.Bool("active") {
			err = nil
		}
	}
	if err != nil {
		return refusedChange(err)
	}
	a.logWrite(ctx, "bank account archived", zap.Int64("registrant_id", p), zap.Int64("account_id", id))
	return nil
}

func (a *Accounts) logWrite(ctx context.Context, msg string, fields ...zap.Field) {
	a.log.Info(msg, append(fields, zap.String("client_id", ClientID(ctx)))...)
}

func valueKeys(vals odoo.Values) []string {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	return keys
}

// accountInput is a validated POST or PATCH body.
type accountInput struct {
	number    AccountNumber // trimmed as sent
	numberSet bool
	bank      BankRef
	bankSet   bool
	holder    string // "" with holderSet: clear it
	holderSet bool
}

// bankPointer names the field a bank problem is reported on.
func (in accountInput) bankPointer() string {
	if in.bank.BIC != "" {
		return "/bic"
	}
	return "/bank_name"
}

// parseAccountInput validates a body without any Odoo call. On create the
// number and a bank (bank_name or bic) are required and null means absent;
// on update absent keys are left alone, null clears the holder name and is
// refused for the number and the bank (an account always has both here).
func parseAccountInput(req *BankAccountRequest, m mode) (accountInput, error) {
	var p problems
	var in accountInput
	switch {
	case req.AccNumber.Present():
		in.number, in.numberSet = AccountNumber(cleanText(string(req.AccNumber.Value))), true
		if in.number == "" {
			p.add("/acc_number", "must not be empty")
		}
	case m == modeCreate:
		p.add("/acc_number", "is required (a JSON string)")
	case req.AccNumber.Cleared():
		p.add("/acc_number", "cannot be cleared; archive the account with DELETE instead")
	}
	name := collapseSpace(cleanText(req.BankName.Value))
	bic := normalizeBIC(req.BIC.Value)
	checkAccountFields(&p, "", in.number, bic)
	in.bank, in.bankSet = BankRef{Name: name, BIC: bic}, name != "" || bic != ""
	switch {
	case m == modeCreate && !in.bankSet:
		p.add("/bank_name", "bank_name or bic is required")
	case m == modeUpdate && !in.bankSet && (req.BankName.Set || req.BIC.Set):
		p.add("/bank_name", "cannot be cleared; send bank_name or bic to re-point the account to another bank")
	}
	if req.AccHolderName.Set {
		in.holder = collapseSpace(cleanText(req.AccHolderName.Value))
		in.holderSet = m == modeUpdate || in.holder != ""
	}
	if err := p.err(); err != nil {
		return accountInput{}, err
	}
	return in, nil
}

// ibanRequiredAt returns why number cannot be an account at the bank with
// the given BIC, "" when it can: at a bank of a country in the IBAN
// registry accounts are IBANs. IBAN-shaped numbers are checked on their own
// (ValidateIBAN); numbers starting with "+" are mobile-money wallets
// (phone numbers), to which no IBAN rule applies.
func ibanRequiredAt(number AccountNumber, bic string) string {
	country := BICCountry(bic)
	if country == "" || !UsesIBAN(country) || LooksLikeIBAN(string(number)) || strings.HasPrefix(string(number), "+") {
		return ""
	}
	return fmt.Sprintf("must be an IBAN: the bank (BIC %s) is in %s, where account numbers are IBANs", normalizeBIC(bic), country)
}
