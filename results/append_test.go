package results

import (
	"bytes"
	"strings"
	"testing"
)

// TestAppendWriter: a file written in two parts, the second by an
// AppendWriter after reading the first, is the file one Writer writes:
// no second header, and a unit declared once. That is how a resumed run
// completes a file.
func TestAppendWriter(t *testing.T) {
	samples := testSamples(t)
	whole := writeTestFile(t, samples)

	first := writeTestFile(t, samples[:3]) // declares retrans/op and tfo-accepted
	f, err := Read("first.txt", bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.NewBuffer(append([]byte(nil), first...))
	w, err := AppendWriter(buf, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples[3:] {
		if err := w.Write(s); err != nil {
			t.Fatalf("Write(%s rep %d): %v", s.Name(), s.Rep, err)
		}
	}
	if got := buf.String(); got != string(whole) {
		t.Errorf("written in two parts:\n%s\nwant, as in one:\n%s\n%s", got, whole, lineDiff(got, string(whole)))
	}
	if n := strings.Count(buf.String(), "Unit retrans/op "); n != 1 {
		t.Errorf("retrans/op declared %d times; want once", n)
	}
	if _, err := AppendWriter(buf, nil); err == nil {
		t.Error("AppendWriter(nil file): no error")
	}
}
