package config

import (
	"strings"
	"testing"
)

func TestMetricsConfig(t *testing.T) {
	cfg, err := Load(writeFile(t, "c.yaml", minimal))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Metrics.Enabled || cfg.Metrics.Listen != "" {
		t.Errorf("default metrics = %+v, want enabled on the main listener", cfg.Metrics)
	}
	t.Setenv("G2P_PROXY_METRICS_LISTEN", "0.0.0.0:9090")
	if cfg, err = Load(writeFile(t, "c.yaml", minimal)); err != nil || cfg.Metrics.Listen != "0.0.0.0:9090" {
		t.Errorf("metrics.listen from the environment: %+v, %v", cfg, err)
	}
	for listen, want := range map[string]string{
		"9090":           "G2P_PROXY_METRICS_LISTEN (metrics.listen): must be host:port",
		"127.0.0.1:8080": "G2P_PROXY_METRICS_LISTEN (metrics.listen): must differ from server.listen",
	} {
		t.Setenv("G2P_PROXY_METRICS_LISTEN", listen)
		if _, err := Load(writeFile(t, "c.yaml", minimal)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("metrics.listen %q: %v, want %q", listen, err, want)
		}
	}
}
