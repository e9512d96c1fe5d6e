package kubernetes

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/tunebench/tunebench/runner"
	"github.com/tunebench/tunebench/scenarios"
)

// decodeStrict converts one YAML document to JSON and decodes it into
// obj, refusing unknown and duplicate fields and fields in the wrong case,
// as kubectl apply --validate=strict does.
func decodeStrict(doc []byte, obj any) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(js, obj, sigsjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		var msgs []string
		for _, e := range strict {
			msgs = append(msgs, e.Error())
		}
		return fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return nil
}

// manifests holds every object of the folder's YAML files by kind/name.
type manifests struct {
	jobs       map[string]*batchv1.Job
	configMaps map[string]*corev1.ConfigMap
	pvcs       map[string]*corev1.PersistentVolumeClaim
	namespaces map[string]*corev1.Namespace
}

func load(t *testing.T, files map[string][]byte) manifests {
	t.Helper()
	m := manifests{jobs: map[string]*batchv1.Job{}, configMaps: map[string]*corev1.ConfigMap{}, pvcs: map[string]*corev1.PersistentVolumeClaim{}, namespaces: map[string]*corev1.Namespace{}}
	for name, data := range files {
		for i, doc := range bytes.Split(data, []byte("\n---\n")) {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Errorf("%s: document %d: %v", name, i+1, err)
				continue
			}
			var obj any
			var meta *string
			switch head.APIVersion + " " + head.Kind {
			case "batch/v1 Job":
				o := &batchv1.Job{}
				obj, meta = o, &o.Name
			case "v1 ConfigMap":
				o := &corev1.ConfigMap{}
				obj, meta = o, &o.Name
			case "v1 PersistentVolumeClaim":
				o := &corev1.PersistentVolumeClaim{}
				obj, meta = o, &o.Name
			case "v1 Namespace":
				o := &corev1.Namespace{}
				obj, meta = o, &o.Name
			default:
				t.Errorf("%s: document %d: apiVersion %q kind %q: not a kind this test knows; add it", name, i+1, head.APIVersion, head.Kind)
				continue
			}
			if err := decodeStrict(doc, obj); err != nil {
				t.Errorf("%s: document %d (%s): %v", name, i+1, head.Kind, err)
			}
			if *meta == "" {
				t.Errorf("%s: document %d (%s) has no metadata.name", name, i+1, head.Kind)
			}
			switch o := obj.(type) {
			case *batchv1.Job:
				m.jobs[o.Name] = o
			case *corev1.ConfigMap:
				m.configMaps[o.Name] = o
			case *corev1.PersistentVolumeClaim:
				m.pvcs[o.Name] = o
			case *corev1.Namespace:
				m.namespaces[o.Name] = o
			}
		}
	}
	return m
}

func readManifests(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no manifests here: %v", err)
	}
	files := make(map[string][]byte)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = b
	}
	return files
}

// TestStrictDecodeRefusesMisspelling shows that the decoding can fail: a
// misspelt field, a field in the wrong case and a value of the wrong type
// are each refused.
func TestStrictDecodeRefusesMisspelling(t *testing.T) {
	job, err := os.ReadFile("job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ from, to, want string }{
		{"completionMode: Indexed", "completionMod: Indexed", `unknown field "spec.completionMod"`},
		{"backoffLimitPerIndex:", "backoffLimitperIndex:", `unknown field "spec.backoffLimitperIndex"`},
		{"completions: ", "completions: four # ", "cannot unmarshal string"},
		{"        - name: tunebench\n", "        - name: tunebench\n          imagePullPolicy: Always\n", `key "imagePullPolicy" already set`},
	} {
		bad := strings.Replace(string(job), tt.from, tt.to, 1)
		if bad == string(job) {
			t.Fatalf("job.yaml has no %q to change", tt.from)
		}
		err := decodeStrict([]byte(bad), &batchv1.Job{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q → %q: %v; want an error with %q", tt.from, tt.to, err, tt.want)
		}
	}
}

// TestManifests decodes every manifest strictly and checks that they agree:
// an Indexed Job whose shard count is its completions and parallelism and
// fits the suite's blocks, the TUN device and capabilities the image
// needs, results on the volume the merge reads, and a merge that lists
// every shard's file.
func TestManifests(t *testing.T) {
	m := load(t, readManifests(t))
	job, merge := m.jobs["tunebench-matrix"], m.jobs["tunebench-matrix-merge"]
	if job == nil || merge == nil {
		t.Fatalf("jobs %v; want tunebench-matrix and tunebench-matrix-merge", keys(m.jobs))
	}
	spec := job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("job completionMode %v; want Indexed", spec.CompletionMode)
	}
	if spec.Completions == nil || spec.Parallelism == nil || *spec.Completions != *spec.Parallelism {
		t.Fatalf("completions %v, parallelism %v; want both set and equal", spec.Completions, spec.Parallelism)
	}
	n := int(*spec.Completions)
	c := spec.Template.Spec.Containers[0]
	args := strings.Join(c.Args, " ")
	if !strings.Contains(args, fmt.Sprintf("--shard index/%d", n)) {
		t.Errorf("job args %q; want --shard index/%d for %d completions", args, n, n)
	}
	out := regexp.MustCompile(`-o (\S+)`).FindStringSubmatch(args)
	if out == nil || !strings.Contains(out[1], "$(JOB_COMPLETION_INDEX)") {
		t.Fatalf("job args %q; want -o naming a file per $(JOB_COMPLETION_INDEX)", args)
	}
	// The merge reads exactly the files the shards write.
	var want []string
	for i := range n {
		want = append(want, strings.ReplaceAll(out[1], "$(JOB_COMPLETION_INDEX)", fmt.Sprint(i)))
	}
	margs := merge.Spec.Template.Spec.Containers[0].Args
	if len(margs) < 3 || margs[0] != "merge" || !slices.Equal(margs[3:], want) {
		t.Errorf("merge args %q; want merge -o FILE %s", margs, strings.Join(want, " "))
	}
	// What the image needs: the capabilities, the TUN device, no
	// privileged mode.
	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil {
		t.Fatal("job container has no securityContext.capabilities")
	}
	for _, capName := range []corev1.Capability{"NET_ADMIN", "SYS_ADMIN", "SYS_NICE"} {
		if !slices.Contains(sc.Capabilities.Add, capName) {
			t.Errorf("capabilities add %v; want %s", sc.Capabilities.Add, capName)
		}
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("job container is privileged; want only the capabilities it needs")
	}
	vols := make(map[string]corev1.Volume)
	for _, v := range spec.Template.Spec.Volumes {
		vols[v.Name] = v
	}
	mounted := make(map[string]string)
	for _, vm := range c.VolumeMounts {
		mounted[vm.MountPath] = vm.Name
	}
	tun := vols[mounted["/dev/net/tun"]]
	if tun.HostPath == nil || tun.HostPath.Path != "/dev/net/tun" || tun.HostPath.Type == nil || *tun.HostPath.Type != corev1.HostPathCharDev {
		t.Errorf("/dev/net/tun mounted from %+v; want the node's /dev/net/tun, type CharDevice", tun)
	}
	resultsDir := filepath.Dir(out[1])
	rv := vols[mounted[resultsDir]]
	if rv.PersistentVolumeClaim == nil || m.pvcs[rv.PersistentVolumeClaim.ClaimName] == nil {
		t.Errorf("%s mounted from %+v; want a claim defined here", resultsDir, rv)
	} else if !slices.Contains(m.pvcs[rv.PersistentVolumeClaim.ClaimName].Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("claim %s is not ReadWriteMany; the shards write it from several nodes", rv.PersistentVolumeClaim.ClaimName)
	}
	for _, j := range []*batchv1.Job{job, merge} {
		if m.namespaces[j.Namespace] == nil {
			t.Errorf("job %s in namespace %q, which is not defined here", j.Name, j.Namespace)
		}
	}

	// The suite parses, and splits into as many shards as the Job runs.
	suitePath := c.Args[1]
	cmName := vols[mounted[filepath.Dir(suitePath)]].ConfigMap
	if cmName == nil || m.configMaps[cmName.Name] == nil {
		t.Fatalf("suite %s is not in a ConfigMap defined here", suitePath)
	}
	text, ok := m.configMaps[cmName.Name].Data[filepath.Base(suitePath)]
	if !ok {
		t.Fatalf("ConfigMap %s has no %s", cmName.Name, filepath.Base(suitePath))
	}
	s, err := scenarios.Parse(suitePath, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := s.Expand()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Split(s, cells, runner.Shard{Count: n}); err != nil {
		t.Errorf("the job's %d shards do not fit its suite: %v", n, err)
	}
}

func keys[V any](m map[string]V) []string {
	var k []string
	for name := range m {
		k = append(k, name)
	}
	slices.Sort(k)
	return k
}
