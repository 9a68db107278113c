// Package screen keeps what a terminal session's screen shows, as a terminal
// emulator sees it, so that a client attaching to a running session later
// gets the screen back as it was: a shell's recent lines, a full-screen
// program's screen, its modes and cursor.
//
// It runs in the daemon, on the host's side, and everything it parses comes
// from a guest: the bytes are filtered before the emulator sees them
// (numeric parameters of control sequences bounded, split UTF-8 carried
// over), the emulated size is bounded, the work per second is bounded by a
// byte budget past which the screen is marked stale rather than kept, and a
// panic of the emulator resets the screen instead of ending the daemon.
//
// The emulator is github.com/hinshun/vt10x, as in Teleport: about 60 KiB
// for an 80x24 screen, where charmbracelet/x/vt takes 4.6 MiB.
package screen
