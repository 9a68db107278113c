// Package admin is vmhostd's control API: HTTP and JSON on the unix socket
// <run_dir>/vmhostd.sock, for root only, and the client the vmhostd admin
// subcommands use.
//
// The socket is made 0600 and owned by root, and every connection's peer
// credentials (SO_PEERCRED) are checked: a peer that is not root gets 403.
//
// Routes (every body and answer is JSON; errors are {"error": "..."} with
// 400 for a bad request, 403 for a peer that is not root, 404 for an unknown
// guest or image, 409 for a guest that is busy or an image in use):
//
//	GET    /v1/guests                  every guest
//	GET    /v1/guests/{id}             one guest
//	POST   /v1/guests/{id}/start       start it (stop, restart likewise)
//	POST   /v1/guests/{id}/reset?confirm=yes   back to its image
//	DELETE /v1/guests/{id}             remove it and its files
//	POST   /v1/guests/{id}/exec        run a process, see below
//	GET    /v1/stats, /v1/guests/{id}/stats   what guests use now
//	PUT    /v1/guests/{id}/limits      change a running guest's limits
//	PUT    /v1/guests/{id}/autostart   {"autostart": true|false|null}: whether it
//	                                   starts with the daemon; null: its owner's
//	GET    /v1/images                  built images
//	POST   /v1/images/{name}/build     build; progress streamed as JSON lines
//	DELETE /v1/images/{name}           remove, refused while guests use it
//	GET    /v1/users                   users of the configuration
//	POST   /v1/reload                  read the configuration again
//	GET    /v1/labs                    the classes
//	GET    /v1/labs/{class}[?student=S]   each guest of the class's students
//	POST   /v1/labs/{class}/{op}[?student=S]  provision, check, stop, and with
//	                                   ?confirm=yes reset and rm: a stream of
//	                                   LabEvent lines, progress then the report
//	POST   /v1/labs/{class}/distribute?path=P  the body (at most 1 MiB) as P
//	POST   /v1/labs/{class}/collect?path=P     P from each guest, as file events
//
// Stop, restart, reset and remove refuse (409) a guest with SSH sessions
// open unless ?force=yes is given.
//
// A request's headers and its body (at most 1 MiB) must each come within 10
// seconds, or the answer is 408 (413 for a body too big) and the connection
// is closed; a connection idle for a minute between requests is closed.
//
// # Exec
//
// An exec request is a POST with the headers "Connection: Upgrade" and
// "Upgrade: vmhost-exec" and an ExecRequest body. Errors found before the
// process starts are ordinary answers. Once it has started the server answers
// 101 Switching Protocols, and both sides then exchange frames on the
// connection: one type byte, a 4-byte big-endian payload length, the payload.
// The client sends FrameStdin (a zero-length one closes the process's input)
// and FrameResize (rows and columns, 2 bytes each); the server sends
// FrameStdout, FrameStderr and, last, FrameExit (an ExitStatus in JSON) or
// FrameError (a message). With a terminal, stderr is merged into stdout, as
// on a terminal. A client that goes away hangs the process up (SIGHUP).
package admin
