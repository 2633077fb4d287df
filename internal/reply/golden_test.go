package reply

import "flag"

// update rewrites the golden files in testdata/ instead of comparing against
// them: go test ./internal/reply -run Golden -update
var update = flag.Bool("update", false, "rewrite golden files")
