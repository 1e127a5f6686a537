package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// xmlrpcDateTime is a <dateTime.iso8601> request value. Odoo hands it to the
// ORM as an xmlrpc.client.DateTime object, which date fields refuse
// (transcripts/10 steps 17-20) and domains compare as text.
type xmlrpcDateTime string

// object is an ordered dict: records keep the field order Odoo answers with.
type object []member

type member struct {
	Key   string
	Value any
}

func (o *object) set(k string, v any) { *o = append(*o, member{k, v}) }

func (o object) get(k string) (any, bool) {
	for _, m := range o {
		if m.Key == k {
			return m.Value, true
		}
	}
	return nil, false
}

// xmlrpcCall is a decoded <methodCall>.
type xmlrpcCall struct {
	Method string
	Params []any
}

// decodeXMLRPCCall parses a request body the way Python's xmlrpc.client
// Unmarshaller does: untyped <value> is a string, <value/> is "", <nil/> is
// None, unknown type elements are refused.
func decodeXMLRPCCall(body []byte) (*xmlrpcCall, *Fault) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	call := &xmlrpcCall{}
	sawRoot := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, expatFault(body, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		sawRoot = true
		switch se.Name.Local {
		case "methodCall", "params", "param":
		case "methodName":
			var s string
			if err := d.DecodeElement(&s, &se); err != nil {
				return nil, expatFault(body, err)
			}
			call.Method = s
		case "value":
			v, err := decodeXMLRPCValue(d)
			if err != nil {
				var f *Fault
				if errors.As(err, &f) {
					return nil, f
				}
				return nil, expatFault(body, err)
			}
			call.Params = append(call.Params, v)
		default:
			return nil, newFault(excResponse, "ResponseError(\"unknown tag %s\")", pyRepr(se.Name.Local))
		}
	}
	if !sawRoot {
		return nil, expatFault(body, io.ErrUnexpectedEOF)
	}
	return call, nil
}

// expatFault words an XML syntax error like Python's expat parser, with
// its line (from 1) and column (from 0) positions.
func expatFault(body []byte, err error) *Fault {
	if pos, ok := invalidXMLChar(body); ok {
		line, col := position(body, pos)
		return newFault(excExpat, "not well-formed (invalid token): line %d, column %d", line, col)
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) && !strings.Contains(se.Msg, "unexpected EOF") {
		return newFault(excExpat, "not well-formed (invalid token): line %d, column 0", se.Line)
	}
	line, col := position(body, len(body))
	return newFault(excExpat, "no element found: line %d, column %d", line, col)
}

// invalidXMLChar finds the first character XML 1.0 forbids.
func invalidXMLChar(body []byte) (int, bool) {
	for i, r := range string(body) {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF || r == utf8.RuneError {
			return i, true
		}
	}
	return 0, false
}

func position(body []byte, off int) (line, col int) {
	pre := body[:off]
	line = bytes.Count(pre, []byte("\n")) + 1
	col = off - (bytes.LastIndexByte(pre, '\n') + 1)
	return line, col
}

// decodeXMLRPCValue reads the content of a <value> element whose start tag
// was just consumed, up to and including its end tag.
func decodeXMLRPCValue(d *xml.Decoder) (any, error) {
	var text strings.Builder
	var result any
	typed := false
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if typed {
				return result, nil
			}
			return text.String(), nil
		case xml.StartElement:
			v, err := decodeTyped(d, t)
			if err != nil {
				return nil, err
			}
			result, typed = v, true
		}
	}
}

func decodeTyped(d *xml.Decoder, se xml.StartElement) (any, error) {
	switch se.Name.Local {
	case "array":
		return decodeArray(d)
	case "struct":
		return decodeStruct(d)
	case "nil":
		return nil, d.Skip()
	}
	var s string
	if err := d.DecodeElement(&s, &se); err != nil {
		return nil, err
	}
	switch se.Name.Local {
	case "string", "name":
		return s, nil
	case "int", "i4", "i8", "i1", "i2", "biginteger":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, newFault(excValue, "invalid literal for int() with base 10: %s", pyRepr(s))
		}
		return n, nil
	case "boolean":
		switch s {
		case "0":
			return false, nil
		case "1":
			return true, nil
		}
		return nil, newFault(excType, "bad boolean value")
	case "double", "float", "bigdecimal":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, newFault(excValue, "could not convert string to float: %s", pyRepr(s))
		}
		return f, nil
	case "dateTime.iso8601":
		return xmlrpcDateTime(strings.TrimSpace(s)), nil
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return nil, newFault(excValue, "invalid base64")
		}
		return string(b), nil
	}
	return nil, newFault(excResponse, "ResponseError(\"unknown tag %s\")", pyRepr(se.Name.Local))
}

func decodeArray(d *xml.Decoder) (any, error) {
	out := []any{}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "data":
			case "value":
				v, err := decodeXMLRPCValue(d)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			default:
				return nil, newFault(excResponse, "ResponseError(\"unknown tag %s\")", pyRepr(t.Name.Local))
			}
		case xml.EndElement:
			if t.Name.Local == "array" {
				return out, nil
			}
		}
	}
}

func decodeStruct(d *xml.Decoder) (any, error) {
	out := map[string]any{}
	var name string
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "member":
				name = ""
			case "name":
				if err := d.DecodeElement(&name, &t); err != nil {
					return nil, err
				}
			case "value":
				v, err := decodeXMLRPCValue(d)
				if err != nil {
					return nil, err
				}
				out[name] = v
			default:
				return nil, newFault(excResponse, "ResponseError(\"unknown tag %s\")", pyRepr(t.Name.Local))
			}
		case xml.EndElement:
			if t.Name.Local == "struct" {
				return out, nil
			}
		}
	}
}

// errMarshalNone is Python's refusal to send None over XML-RPC (Odoo does
// not enable allow_none): a method returning None becomes fault 1 after its
// transaction was committed (transcripts/08 step 62).
var errMarshalNone = newFault(excType, "cannot marshal None unless allow_none is enabled")

// encodeXMLRPCResponse renders a result exactly like Python's marshaller:
// one element per line, <array><data> glued to <value>.
func encodeXMLRPCResponse(result any) ([]byte, *Fault) {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n")
	if err := writeXMLValue(&b, result, false); err != nil {
		return nil, err
	}
	b.WriteString("</param>\n</params>\n</methodResponse>\n")
	return b.Bytes(), nil
}

func encodeXMLRPCFault(f *Fault) []byte {
	text := f.Message
	if f.XMLRPCCode() == 1 {
		text = f.Traceback()
	}
	return encodeFaultStruct(int64(f.XMLRPCCode()), text)
}

// encodeLegacyXMLRPCFault is the fault of the legacy /xmlrpc/<service>
// endpoints: a text faultCode (xmlrpc_handle_exception_string), e.g.
// "warning -- MissingError\n\n<message>" with an empty faultString.
func encodeLegacyXMLRPCFault(f *Fault) []byte {
	switch f.Class {
	case excMissing:
		return encodeFaultStruct("warning -- MissingError\n\n"+f.Message, "")
	case excAccessError:
		return encodeFaultStruct("warning -- AccessError\n\n"+f.Message, "")
	case excAccessDenid:
		return encodeFaultStruct("AccessDenied", f.Message)
	case excUser, excValidation:
		return encodeFaultStruct("warning -- UserError\n\n"+f.Message, "")
	}
	return encodeFaultStruct(f.Message, f.Traceback())
}

func encodeFaultStruct(code any, text string) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n")
	_ = writeXMLValue(&b, object{{"faultCode", code}, {"faultString", text}}, false)
	b.WriteString("</fault>\n</methodResponse>\n")
	return b.Bytes()
}

// writeXMLValue appends one <value>; allowNone writes None as <nil/>
// (Python's allow_none), which Odoo's answers never do.
func writeXMLValue(b *bytes.Buffer, v any, allowNone bool) *Fault {
	switch x := v.(type) {
	case nil:
		if allowNone {
			b.WriteString("<value><nil/></value>\n")
			return nil
		}
		return errMarshalNone
	case bool:
		if x {
			b.WriteString("<value><boolean>1</boolean></value>\n")
		} else {
			b.WriteString("<value><boolean>0</boolean></value>\n")
		}
	case int:
		fmt.Fprintf(b, "<value><int>%d</int></value>\n", x)
	case int64:
		fmt.Fprintf(b, "<value><int>%d</int></value>\n", x)
	case float64:
		fmt.Fprintf(b, "<value><double>%s</double></value>\n", pyFloat(x))
	case string:
		b.WriteString("<value><string>")
		xmlEscape(b, x)
		b.WriteString("</string></value>\n")
	case []int64:
		b.WriteString("<value><array><data>\n")
		for _, e := range x {
			fmt.Fprintf(b, "<value><int>%d</int></value>\n", e)
		}
		b.WriteString("</data></array></value>\n")
	case []any:
		b.WriteString("<value><array><data>\n")
		for _, e := range x {
			if f := writeXMLValue(b, e, allowNone); f != nil {
				return f
			}
		}
		b.WriteString("</data></array></value>\n")
	case []object:
		b.WriteString("<value><array><data>\n")
		for _, e := range x {
			if f := writeXMLValue(b, e, allowNone); f != nil {
				return f
			}
		}
		b.WriteString("</data></array></value>\n")
	case object:
		b.WriteString("<value><struct>\n")
		for _, m := range x {
			b.WriteString("<member>\n<name>")
			xmlEscape(b, m.Key)
			b.WriteString("</name>\n")
			if f := writeXMLValue(b, m.Value, allowNone); f != nil {
				return f
			}
			b.WriteString("</member>\n")
		}
		b.WriteString("</struct></value>\n")
	case map[string]any:
		return writeXMLValue(b, sortedObject(x), allowNone)
	case xmlrpcDateTime:
		fmt.Fprintf(b, "<value><dateTime.iso8601>%s</dateTime.iso8601></value>\n", string(x))
	default:
		return newFault(excType, "cannot marshal %T objects", v)
	}
	return nil
}

// xmlEscape escapes like Python's xmlrpc.client.escape (& < > only; quotes
// stay) and drops the C0 control characters Odoo's marshaller removes
// (all but TAB, LF, CR — transcripts/08 step 73).
func xmlEscape(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r':
		default:
			b.WriteRune(r)
		}
	}
}

// pyFloat formats a float like Python's repr(): shortest round-trip digits,
// fixed notation for 1e-4 <= |x| < 1e16 (always with a decimal point),
// scientific otherwise.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
