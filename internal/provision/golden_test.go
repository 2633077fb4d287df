package provision

import "flag"

// update rewrites the golden files in testdata/ instead of comparing against
// them: go test ./internal/provision -run Golden -update
var update = flag.Bool("update", false, "rewrite golden files")
