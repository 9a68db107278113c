// Package asciicast writes and reads recordings of terminal sessions in the
// asciicast v2 format that asciinema and its players read
// (https://docs.asciinema.org/manual/asciicast/v2/): a JSON header line,
// then one JSON array per event, [seconds, code, data], with "o" for
// output, "i" for input, "r" for a resize ("COLSxROWS") and "m" for a
// marker.
//
// It runs in the daemon, on the host's side. Output comes from a guest and
// is any bytes: an event never splits a UTF-8 sequence (an incomplete one
// at the end of a write waits for the next), and bytes that are not UTF-8
// are written as U+FFFD, as a terminal shows them. Reading bounds line
// length and event count, for recordings a user could have edited.
package asciicast
