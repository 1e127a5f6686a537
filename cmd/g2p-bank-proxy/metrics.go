package main

import (
	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/mapping"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/odoo"
	"github.com/g2p-bank-proxy/g2p-bank-proxy/proxy"
)

// newMetrics returns the proxy's metrics, hooked into the Odoo client
// configuration oc, or nil when metrics.enabled is false.
func newMetrics(c config.Metrics, oc *odoo.Config) *proxy.Metrics {
	if !c.Enabled {
		return nil
	}
	m := proxy.NewMetrics()
	oc.Observe = m.ObserveOdoo
	return m
}

// watchServices exports the state of the services built after the metrics:
// the Odoo client's circuit breaker and the bank resolver's cache.
func watchServices(m *proxy.Metrics, client *odoo.Client, banks *mapping.BankResolver) {
	if m == nil {
		return
	}
	m.RegisterCircuit(client.Circuit)
	m.RegisterCache("bank", "bank resolver", func() proxy.CacheStats {
		s := banks.Stats()
		return proxy.CacheStats{Hits: s.Hits, Misses: s.Misses, Size: s.Entries}
	})
}
