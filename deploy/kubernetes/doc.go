// Package kubernetes holds tunebench's Kubernetes manifests: an Indexed Job
// that measures a suite split over nodes (tunebench run --shard index/N),
// the merge Job that joins the shards' files, the results volume, the
// suite's ConfigMap and the namespace. It has no Go code; its test decodes
// every manifest strictly into the Kubernetes API types, so that a
// misspelt field fails `make test`, and checks that the Job, the merge and
// the suite agree (docs/shards.md).
package kubernetes
