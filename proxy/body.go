package proxy

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
)

// readBody returns the whole request body, at most server.max_body_bytes.
// A write's body has been read once already, by limitJSON (ctxRequestBody):
// those bytes are returned rather than copied again for idempotency and
// the handler. On failure it has already answered (413 when too large, 400
// when the body could not be read) and returns false: the handler just
// returns.
func (s *Server) readBody(c *gin.Context) ([]byte, bool) {
	if read, ok := c.Get(ctxRequestBody); ok {
		if body, ok := read.([]byte); ok {
			return body, true
		}
	}
	body, err := io.ReadAll(c.Request.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		s.problem(c, mapping.CodePayloadTooLarge, fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit))
		return nil, false
	case err != nil:
		s.fail(c, &mapping.Error{Code: mapping.CodeInvalidJSON, Message: "the request body could not be read", Cause: err})
		return nil, false
	}
	return body, true
}
