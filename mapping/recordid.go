package mapping

import "strconv"

// MaxRecordID is the largest record id Odoo can hold: ids are PostgreSQL
// integer (32-bit) columns, and a larger value in a domain is a server
// fault (NumericValueOutOfRange, odoo17/08-faults steps 101-102), not "no
// such record".
const MaxRecordID = 1<<31 - 1

// ParseRecordID parses a record id sent by a client (in a path, a query
// parameter or a cursor): a decimal integer from 1 to MaxRecordID. ok is
// false for anything else, which names no record.
func ParseRecordID(s string) (id int64, ok bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id >= 1 && id <= MaxRecordID
}
