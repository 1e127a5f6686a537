// Package deploy holds no Go code: these tests keep the deployment files
// (Kubernetes manifests, systemd unit and their configurations) consistent
// with the proxy they deploy. deploy/config.example.yaml is tested in
// package config.
package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/g2p-bank-proxy/g2p-bank-proxy/config"
)

// manifest is one Kubernetes object, decoded generically.
type manifest map[string]any

// get walks a path of map keys and list indexes ("spec", "containers", 0).
func (m manifest) get(path ...any) any {
	var cur any = map[string]any(m)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			mm, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = mm[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			cur = l[k]
		}
	}
	return cur
}

func (m manifest) str(path ...any) string {
	s, _ := m.get(path...).(string)
	return s
}

// readManifests decodes every YAML document of every file in dir.
func readManifests(t *testing.T, dir string) map[string]manifest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", dir, err)
	}
	out := map[string]manifest{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for i := 0; ; i++ {
			// Decoded as a plain map so that nested objects are plain maps too.
			var raw map[string]any
			err := dec.Decode(&raw)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			m := manifest(raw)
			kind, name := m.str("kind"), m.str("metadata", "name")
			if m.str("apiVersion") == "" || kind == "" || (name == "" && kind != "Kustomization") {
				t.Fatalf("%s document %d lacks apiVersion, kind or metadata.name", f, i)
			}
			out[kind+"/"+name] = m
		}
	}
	return out
}

func TestKubernetesManifests(t *testing.T) {
	ms := readManifests(t, "k8s")
	for _, want := range []string{"Kustomization/", "ConfigMap/g2p-bank-proxy-config", "Secret/g2p-bank-proxy-secrets",
		"Deployment/g2p-bank-proxy", "Service/g2p-bank-proxy", "HorizontalPodAutoscaler/g2p-bank-proxy",
		"PodDisruptionBudget/g2p-bank-proxy"} {
		if _, ok := ms[want]; !ok {
			t.Errorf("deploy/k8s lacks %s", want)
		}
	}
	for _, r := range ms["Kustomization/"].get("resources").([]any) {
		if _, err := os.Stat(filepath.Join("k8s", r.(string))); err != nil {
			t.Errorf("kustomization names a missing resource: %v", err)
		}
	}

	d := ms["Deployment/g2p-bank-proxy"]
	pod := manifest(d.get("spec", "template", "spec").(map[string]any))
	c := manifest(pod.get("containers", 0).(map[string]any))
	checks := []struct {
		what      string
		got, want any
	}{
		{"liveness probe path", c.str("livenessProbe", "httpGet", "path"), "/healthz"},
		{"readiness probe path", c.str("readinessProbe", "httpGet", "path"), "/readyz"},
		{"probe port", c.str("readinessProbe", "httpGet", "port"), c.str("ports", 0, "name")},
		{"pod runAsNonRoot", pod.get("securityContext", "runAsNonRoot"), true},
		{"readOnlyRootFilesystem", c.get("securityContext", "readOnlyRootFilesystem"), true},
		{"allowPrivilegeEscalation", c.get("securityContext", "allowPrivilegeEscalation"), false},
		{"dropped capabilities", c.get("securityContext", "capabilities", "drop", 0), "ALL"},
		{"service account token", pod.get("automountServiceAccountToken"), false},
		{"selector matches the pod", d.str("spec", "selector", "matchLabels", "app.kubernetes.io/name"),
			d.str("spec", "template", "metadata", "labels", "app.kubernetes.io/name")},
		{"service targets the pod", ms["Service/g2p-bank-proxy"].str("spec", "selector", "app.kubernetes.io/name"),
			d.str("spec", "template", "metadata", "labels", "app.kubernetes.io/name")},
		{"HPA targets the deployment", ms["HorizontalPodAutoscaler/g2p-bank-proxy"].str("spec", "scaleTargetRef", "name"), d.str("metadata", "name")},
		{"config volume", pod.str("volumes", 0, "configMap", "name"), "g2p-bank-proxy-config"},
		{"secret volume", pod.str("volumes", 1, "secret", "secretName"), "g2p-bank-proxy-secrets"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("deployment %s: got %v, want %v", ck.what, ck.got, ck.want)
		}
	}
	if c.str("resources", "limits", "memory") == "" || c.str("resources", "requests", "cpu") == "" {
		t.Error("the container needs a memory limit and a CPU request (the HPA scales on CPU utilisation)")
	}

	// The configuration the pod reads is the ConfigMap's, it validates,
	// and the pod serves it on the port the probes use.
	args := c.get("args").([]any)
	if len(args) != 3 || args[0] != "serve" || args[1] != "--config" || args[2] != c.str("volumeMounts", 0, "mountPath")+"/config.yaml" {
		t.Errorf("args %v: want serve --config <config mount>/config.yaml", args)
	}
	text := ms["ConfigMap/g2p-bank-proxy-config"].str("data", "config.yaml")
	secrets := ms["Secret/g2p-bank-proxy-secrets"].get("stringData").(map[string]any)
	cfg := loadWithSecrets(t, text, c.str("volumeMounts", 1, "mountPath")+"/", secretNames(secrets))
	if !strings.HasSuffix(cfg.Server.Listen, ":8080") || c.get("ports", 0, "containerPort") != 8080 {
		t.Errorf("the proxy listens on %s, the container port is %v", cfg.Server.Listen, c.get("ports", 0, "containerPort"))
	}
	// With several replicas the proxies share a Redis: the one in redis.yaml.
	redis := ms["Deployment/g2p-bank-proxy-redis"]
	redisPod := manifest(redis.get("spec", "template", "spec").(map[string]any))
	redisPort := ms["Service/g2p-bank-proxy-redis"].get("spec", "ports", 0, "port")
	if cfg.Redis.Addr != fmt.Sprintf("g2p-bank-proxy-redis:%v", redisPort) {
		t.Errorf("redis.addr %q does not name the Redis service (port %v)", cfg.Redis.Addr, redisPort)
	}
	if key := redisPod.str("containers", 0, "env", 0, "valueFrom", "secretKeyRef", "key"); cfg.Redis.Password != "test-secret-"+key {
		t.Errorf("Redis reads its password from secret key %q, the proxy from redis.password_file", key)
	}
	if replicas := max(d.get("spec", "replicas").(int), ms["HorizontalPodAutoscaler/g2p-bank-proxy"].get("spec", "maxReplicas").(int)); replicas > 1 && !cfg.Redis.Enabled() {
		t.Errorf("up to %d replicas without redis.addr: idempotency keys and the bank lock would not be shared", replicas)
	}
	if redisPod.get("securityContext", "runAsNonRoot") != true || redisPod.get("containers", 0, "securityContext", "readOnlyRootFilesystem") != true {
		t.Error("the Redis pod must run as non-root with a read-only root file system")
	}
	if np := ms["NetworkPolicy/g2p-bank-proxy-redis"]; np.str("spec", "ingress", 0, "from", 0, "podSelector", "matchLabels", "app.kubernetes.io/name") !=
		d.str("spec", "template", "metadata", "labels", "app.kubernetes.io/name") {
		t.Error("the Redis NetworkPolicy must admit the proxy's pods")
	}

	checkAuditVolume(t, ms, pod, c)
	checkMetricsPort(t, ms, d, c, cfg)

	grace := time.Duration(pod.get("terminationGracePeriodSeconds").(int)) * time.Second
	preStop := time.Duration(c.get("lifecycle", "preStop", "sleep", "seconds").(int)) * time.Second
	if grace <= cfg.Server.ShutdownTimeout+preStop {
		t.Errorf("terminationGracePeriodSeconds %v must exceed the preStop pause %v plus server.shutdown_timeout %v", grace, preStop, cfg.Server.ShutdownTimeout)
	}
}

// checkAuditVolume: each pod writes its own audit file (one writer per
// hash chain) on a writable, shared, persistent volume.
func checkAuditVolume(t *testing.T, ms map[string]manifest, pod, c manifest) {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.get("env").([]any) {
		m := manifest(e.(map[string]any))
		env[m.str("name")] = m.str("value")
	}
	file := env["G2P_PROXY_AUDIT_FILE"]
	if !strings.Contains(file, "$(POD_NAME)") {
		t.Fatalf("G2P_PROXY_AUDIT_FILE %q must name one file per pod ($(POD_NAME))", file)
	}
	var volume string
	for _, m := range c.get("volumeMounts").([]any) {
		vm := manifest(m.(map[string]any))
		if strings.HasPrefix(file, vm.str("mountPath")+"/") {
			volume = vm.str("name")
			if vm.get("readOnly") == true {
				t.Errorf("the audit volume is mounted read-only")
			}
		}
	}
	var claim string
	for _, v := range pod.get("volumes").([]any) {
		vm := manifest(v.(map[string]any))
		if vm.str("name") == volume {
			claim = vm.str("persistentVolumeClaim", "claimName")
		}
	}
	pvc, ok := ms["PersistentVolumeClaim/"+claim]
	if !ok {
		t.Fatalf("the audit file %s is not on a PersistentVolumeClaim of the kustomization (volume %q)", file, volume)
	}
	if pvc.str("spec", "accessModes", 0) != "ReadWriteMany" {
		t.Errorf("the audit volume is shared by every replica: it needs ReadWriteMany, not %v", pvc.get("spec", "accessModes"))
	}
}

// checkMetricsPort: /metrics has its own port (metrics.listen), which the
// pod declares and the Prometheus annotation names, and the Service (the
// clients' way in) does not expose.
func checkMetricsPort(t *testing.T, ms map[string]manifest, d, c manifest, cfg *config.Config) {
	t.Helper()
	_, port, err := net.SplitHostPort(cfg.Metrics.Listen)
	if err != nil {
		t.Fatalf("metrics.listen %q: the metrics must not share the API's port behind the Service", cfg.Metrics.Listen)
	}
	if got := d.str("spec", "template", "metadata", "annotations", "prometheus.io/port"); got != port {
		t.Errorf("prometheus.io/port is %q, metrics.listen uses %s", got, port)
	}
	var declared bool
	for _, p := range c.get("ports").([]any) {
		declared = declared || fmt.Sprint(manifest(p.(map[string]any)).get("containerPort")) == port
	}
	if !declared {
		t.Errorf("the container does not declare the metrics port %s", port)
	}
	for _, p := range ms["Service/g2p-bank-proxy"].get("spec", "ports").([]any) {
		sp := manifest(p.(map[string]any))
		if tp := fmt.Sprint(sp.get("targetPort")); tp == port || tp == "metrics" {
			t.Errorf("the Service exposes the metrics port (%s)", tp)
		}
	}
}

func secretNames(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// loadWithSecrets loads a configuration whose secret files live under
// secretDir, from a temporary directory holding a file for each of names.
// Any other secret file the configuration names is an error (the pod would
// not find it).
func loadWithSecrets(t *testing.T, text, secretDir string, names []string) *config.Config {
	t.Helper()
	tmp := t.TempDir()
	referenced := regexp.MustCompile(regexp.QuoteMeta(secretDir)+`([A-Za-z0-9._-]+)`).FindAllStringSubmatch(text, -1)
	for _, r := range referenced {
		if !slices.Contains(names, r[1]) {
			t.Errorf("the configuration reads %s%s, which the secret does not provide", secretDir, r[1])
		}
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(tmp, n), []byte("test-secret-"+n+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(tmp, "config.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, secretDir, tmp+"/")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the configuration does not load: %v", err)
	}
	return cfg
}

// unitSettings returns every value of key in a systemd unit file.
func unitSettings(unit, key string) []string {
	var out []string
	for _, line := range strings.Split(unit, "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			out = append(out, v)
		}
	}
	return out
}

func TestSystemdUnitAndConfig(t *testing.T) {
	b, err := os.ReadFile("systemd/g2p-bank-proxy.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes",
		"CapabilityBoundingSet=", "SystemCallFilter=@system-service"} {
		if !slices.Contains(strings.Split(unit, "\n"), want) {
			t.Errorf("the unit lacks %s", want)
		}
	}
	if len(unitSettings(unit, "RestrictAddressFamilies")) == 0 {
		t.Error("the unit lacks RestrictAddressFamilies")
	}
	var creds []string
	for _, lc := range unitSettings(unit, "LoadCredential") {
		name, _, _ := strings.Cut(lc, ":")
		creds = append(creds, name)
	}
	// The unit points odoo.secret_file at a credential through the environment.
	const credDir = "/run/credentials/g2p-bank-proxy.service/"
	var odooSecret string
	for _, env := range unitSettings(unit, "Environment") {
		if v, ok := strings.CutPrefix(env, "G2P_PROXY_ODOO_SECRET_FILE=%d/"); ok {
			odooSecret = v
		}
	}
	if !slices.Contains(creds, odooSecret) {
		t.Fatalf("G2P_PROXY_ODOO_SECRET_FILE names credential %q, LoadCredential has %v", odooSecret, creds)
	}
	text, err := os.ReadFile("systemd/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	odooFile := filepath.Join(tmp, "odoo")
	if err := os.WriteFile(odooFile, []byte("odoo-api-key"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("G2P_PROXY_ODOO_SECRET_FILE", odooFile)
	cfg := loadWithSecrets(t, string(text), credDir, creds)
	if cfg.Odoo.Secret != "odoo-api-key" {
		t.Errorf("odoo.secret = %q, want the credential's content", cfg.Odoo.Secret)
	}
	// ProtectSystem=strict leaves only the state directory writable: the
	// audit file must be there.
	state := unitSettings(unit, "StateDirectory")
	if len(state) != 1 || filepath.Dir(cfg.Audit.File) != "/var/lib/"+state[0] {
		t.Errorf("audit.file %q is not in the unit's StateDirectory %v", cfg.Audit.File, state)
	}
	for _, exec := range append(unitSettings(unit, "ExecStart"), unitSettings(unit, "ExecStartPre")...) {
		if !strings.HasSuffix(exec, "--config /etc/g2p-bank-proxy/config.yaml") {
			t.Errorf("%q does not read /etc/g2p-bank-proxy/config.yaml", exec)
		}
	}
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	stages := strings.Split(text, "\nFROM ")
	final := stages[len(stages)-1]
	if !strings.Contains(text, "CGO_ENABLED=0") {
		t.Error("the binary must be built static (CGO_ENABLED=0)")
	}
	if !strings.HasPrefix(final, "gcr.io/distroless/static") && !strings.HasPrefix(final, "scratch") {
		t.Errorf("the final stage must be distroless static or scratch, not %.40s", final)
	}
	user := regexp.MustCompile(`(?m)^USER (\d+):(\d+)`).FindStringSubmatch(final)
	if user == nil || user[1] == "0" {
		t.Fatal("the final stage must set a numeric non-root USER")
	}
	pod := readManifests(t, "k8s")["Deployment/g2p-bank-proxy"]
	if got := fmt.Sprint(pod.get("spec", "template", "spec", "securityContext", "runAsUser")); got != user[1] {
		t.Errorf("the Deployment runs as user %s, the image as %s", got, user[1])
	}
}

// Every configuration key is in the example an operator copies, so that
// none is found only by reading the code. A key that must not be set next
// to its alternative (secret_hash_file, key) may appear commented out.
func TestExampleConfigNamesEveryKey(t *testing.T) {
	b, err := os.ReadFile("config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var comments strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		if _, c, ok := strings.Cut(line, "#"); ok {
			comments.WriteString(c + "\n")
		}
	}
	for _, key := range missingKeys(reflect.TypeFor[config.Config](), doc, "") {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !regexp.MustCompile(`(^|[\s(])` + regexp.QuoteMeta(leaf) + `:`).MatchString(comments.String()) {
			t.Errorf("deploy/config.example.yaml lacks %s", key)
		}
	}
}

// missingKeys lists the keys of struct type t (mapstructure tags) absent
// from the decoded YAML node; list items are merged, so a key needs to be
// in one of them.
func missingKeys(t reflect.Type, node any, prefix string) []string {
	have := map[string]any{}
	switch n := node.(type) {
	case map[string]any:
		have = n
	case []any:
		for _, item := range n {
			if m, ok := item.(map[string]any); ok {
				for k, v := range m {
					have[k] = v
				}
			}
		}
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		key := prefix + f.Tag.Get("mapstructure")
		v, ok := have[f.Tag.Get("mapstructure")]
		if !ok {
			out = append(out, key)
			continue
		}
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Duration]():
			out = append(out, missingKeys(f.Type, v, key+".")...)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			out = append(out, missingKeys(f.Type.Elem(), v, key+"[].")...)
		}
	}
	return out
}
