package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// version is set at link time: go build -ldflags '-X main.version=v1.2.3'
// (the Makefile passes git describe). Left empty, or "dev", the build info
// that the go command embeds says what was built: see buildVersion.
var version string

// buildVersion returns the version of this binary: the value set with
// -ldflags; else the module version from the build info (a `go install
// ...@v1.2.3`, or a `go build` in a tagged or stamped checkout); else the
// VCS revision the go command recorded, as "devel+abc1234def56" with
// "-dirty" when the tree had changes; else, for a build with neither (a
// copy of the sources without .git, built with -buildvcs=false),
// "devel+sha256:" and the start of the executable's hash, so that two
// different binaries never claim the same version. The results header and
// --resume's check use it.
func buildVersion() string {
	info, _ := debug.ReadBuildInfo()
	v := versionFrom(version, info)
	if v != "" {
		return v
	}
	if sum := exeHash(); sum != "" {
		return "devel+sha256:" + sum
	}
	return "devel"
}

// versionFrom is buildVersion without the executable's hash: "" when
// neither ldflags nor the build info say anything.
func versionFrom(ldflags string, info *debug.BuildInfo) string {
	if ldflags = strings.TrimSpace(ldflags); ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	if info == nil {
		return ""
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v // v1.2.3, or a pseudo-version that holds the revision
	}
	var rev string
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return ""
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "devel+" + rev
	if dirty {
		v += "-dirty"
	}
	return v
}

// exeHash returns the first 12 hex digits of the SHA-256 of this process's
// executable, or "" when it cannot be read.
func exeHash() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
