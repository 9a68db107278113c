// Package sftpserve is vmhost's SFTP server, run inside a guest as its root
// in the SFTP role: github.com/pkg/sftp's server, behind a thin front that
// adds what OpenSSH's sftp-server offers and pkg/sftp lacks, so that the
// clients people use behave as they do against sshd.
//
// The front reads the client's packets one by one. It answers itself
// SSH_FXP_SYMLINK (keeping the link's target as given, in the argument order
// the client means) and the extensions copy-data, fsync@openssh.com,
// limits@openssh.com, expand-path@openssh.com, home-directory and
// users-groups-by-id@openssh.com; everything else goes to pkg/sftp, whose
// SSH_FXP_VERSION it extends with those names and whose handles it follows
// (the path each SSH_FXP_OPEN gave) so that copy-data and fsync can name
// them.
package sftpserve
