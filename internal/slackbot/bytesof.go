package slackbot

import "unsafe"

// bytesOf returns the bytes of s without copying them, for functions that
// only read their argument and keep nothing of it (a decoder's source, an
// HMAC's input). Writing to them is undefined behaviour: never do.
//
// Why: a request body goes through base64, the signature's HMAC and the
// payload's decoding; on a 13 kB view_submission each []byte(s) was a
// 13–17 kB allocation to clear and copy, a fifth of the ack path's bytes.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// stringOf returns b as a string without copying it; b must never be
// written again (the body's bytes once decoded).
func stringOf(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
