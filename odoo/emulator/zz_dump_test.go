package emulator
import ("testing";"fmt")
func TestZZDump(t *testing.T) {
	s := NewTestServer(t, Options{})
	for _, q := range []struct{m string; f []any}{{"gender.type", list("code","value")},{"g2p.id.type", list("name","id_validation")},{"res.bank", list("name","bic","country")},{"res.partner", list("name","is_group","gender","birthdate","reg_ids","bank_ids","phone_number_ids","kind","group_membership_ids")},{"res.partner.bank", list("acc_number","bank_id","partner_id")},{"g2p.reg.id", list("partner_id","id_type","value")},{"g2p.group.kind", list("name")},{"g2p.group.membership.kind", list("name","is_unique")},{"g2p.group.membership", list("group","individual","kind")},{"res.country", list("code")}} {
		fmt.Println(q.m, compact(mustRPC(t, s, q.m, "search_read", list(list()), kw("fields", q.f, "order", "id", "context", kw("active_test", false)))))
	}
}
