/*
 * libssh_client: what the e2e tests ask of libssh (libssh-dev), as a user's
 * program would do it: connect to 127.0.0.1:PORT as USER, trust the host
 * only by KNOWN_HOSTS, log in with the private key KEY, make the symlink
 * LINK -> TARGET over SFTP with sftp_symlink(target, link), read it back,
 * and run COMMAND. It prints key=value lines: readlink, stdout, exit.
 *
 *   libssh_client PORT USER KEY KNOWN_HOSTS TARGET LINK COMMAND
 */
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(ssh_session s, const char *what) {
	fprintf(stderr, "%s: %s\n", what, s ? ssh_get_error(s) : "failed");
	exit(1);
}

int main(int argc, char **argv) {
	if (argc != 8) {
		fprintf(stderr, "usage: libssh_client PORT USER KEY KNOWN_HOSTS TARGET LINK COMMAND\n");
		return 2;
	}
	unsigned int port = (unsigned int)atoi(argv[1]);
	ssh_session s = ssh_new();
	if (s == NULL)
		die(NULL, "ssh_new");
	ssh_options_set(s, SSH_OPTIONS_HOST, "127.0.0.1");
	ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s, SSH_OPTIONS_USER, argv[2]);
	ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, argv[4]);
	ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
	if (ssh_connect(s) != SSH_OK)
		die(s, "connecting");
	if (ssh_session_is_known_server(s) != SSH_KNOWN_HOSTS_OK)
		die(s, "checking the host key against the known hosts");

	ssh_key key = NULL;
	if (ssh_pki_import_privkey_file(argv[3], NULL, NULL, NULL, &key) != SSH_OK)
		die(s, "reading the key");
	if (ssh_userauth_publickey(s, NULL, key) != SSH_AUTH_SUCCESS)
		die(s, "logging in with the key");
	ssh_key_free(key);

	sftp_session sftp = sftp_new(s);
	if (sftp == NULL || sftp_init(sftp) != SSH_OK)
		die(s, "starting sftp");
	if (sftp_symlink(sftp, argv[5], argv[6]) != SSH_OK)
		die(s, "sftp_symlink");
	char *target = sftp_readlink(sftp, argv[6]);
	if (target == NULL)
		die(s, "sftp_readlink");
	printf("readlink=%s\n", target);
	ssh_string_free_char(target);
	sftp_free(sftp);

	ssh_channel c = ssh_channel_new(s);
	if (c == NULL || ssh_channel_open_session(c) != SSH_OK)
		die(s, "opening a session channel");
	if (ssh_channel_request_exec(c, argv[7]) != SSH_OK)
		die(s, "exec");
	char buf[4096];
	size_t n = 0;
	int r;
	while ((r = ssh_channel_read(c, buf + n, sizeof(buf) - 1 - n, 0)) > 0)
		n += (size_t)r;
	if (r < 0)
		die(s, "reading the command's output");
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	ssh_channel_send_eof(c);
	int code = ssh_channel_get_exit_status(c);
	printf("stdout=%s\nexit=%d\n", buf, code);
	ssh_channel_close(c);
	ssh_channel_free(c);
	ssh_disconnect(s);
	ssh_free(s);
	return 0;
}
