package config

import "net"

// Metrics says whether and where Prometheus metrics are served. They hold
// no registrant data (labels are route templates, Odoo model and method
// names, status codes and error kinds), so they need no authentication;
// Listen keeps them off the port clients reach.
type Metrics struct {
	// Enabled serves GET /metrics (default true).
	Enabled bool `mapstructure:"enabled"`
	// Listen, when set (host:port), serves /metrics on that address only,
	// e.g. a port the ingress does not expose; empty serves it on
	// server.listen next to the API.
	Listen string `mapstructure:"listen"`
}

func (m Metrics) validate(v *validator, serverListen string) {
	if m.Listen == "" {
		return
	}
	if _, _, err := net.SplitHostPort(m.Listen); err != nil {
		v.add("metrics.listen", "must be host:port (e.g. 0.0.0.0:9090) or empty, got %q", m.Listen)
	} else if m.Listen == serverListen {
		v.add("metrics.listen", "must differ from server.listen (leave it empty to serve /metrics there)")
	}
}
