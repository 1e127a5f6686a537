package audit

import (
	"context"
	"errors"
)

// Executor is the part of the Odoo client the notes need.
type Executor interface {
	ExecuteKw(ctx context.Context, model, method string, args []any, kwargs map[string]any) (any, error)
}

// OdooNotes posts notes with res.partner message_post as the proxy's
// technical user (internal note subtype: followers are not e-mailed).
type OdooNotes struct {
	Odoo Executor
}

// PostNote posts body on the registrant's chatter: one execute_kw call.
func (n OdooNotes) PostNote(ctx context.Context, registrantID int64, body string) error {
	if registrantID <= 0 {
		return errors.New("audit: no registrant to post the note on")
	}
	_, err := n.Odoo.ExecuteKw(ctx, "res.partner", "message_post", []any{[]any{registrantID}}, map[string]any{
		"body":          body,
		"message_type":  "comment",
		"subtype_xmlid": "mail.mt_note",
	})
	return err
}
