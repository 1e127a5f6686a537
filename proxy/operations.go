package proxy

import (
	"context"
	"fmt"
	"net"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
)

// registerOperationsRoutes adds the routes for operators and tools, all
// without credentials: the probes, the metrics (unless metrics.listen
// moves them to their own listener) and the API description.
func (s *Server) registerOperationsRoutes(e *gin.Engine) {
	e.GET("/healthz", s.healthz)
	if s.ready != nil {
		e.GET("/readyz", s.ready.handle)
	}
	if m := s.deps.Metrics; m != nil && s.cfg.Metrics.Listen == "" {
		e.GET("/metrics", gin.WrapH(m.Handler()))
	}
	e.GET("/openapi.json", s.docs.serveJSON)
	e.GET("/docs", s.docs.serveHTML)
}

// serveSeparateMetrics starts serving /metrics on metrics.listen, when it
// is set, until ctx ends. It fails only when the address cannot be bound.
func (s *Server) serveSeparateMetrics(ctx context.Context) error {
	m := s.deps.Metrics
	if m == nil || s.cfg.Metrics.Listen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.Metrics.Listen)
	if err != nil {
		return fmt.Errorf("proxy: metrics listen: %w", err)
	}
	go func() {
		if err := m.ServeMetrics(ctx, ln, s.log); err != nil {
			s.log.Error("metrics listener stopped", zap.Error(err))
		}
	}()
	return nil
}
