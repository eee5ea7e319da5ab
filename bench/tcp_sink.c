/* tcp_sink.c: the baseline of bench/syslog: accepts one TCP connection on 127.0.0.1:PORT, reads
 * until the sender closes it and discards the bytes (or keeps them in FILE, to be replayed), so
 * the sender's and the socket's own speed is measured with nothing behind them. Prints the
 * bytes read.  tcp_sink PORT [FILE] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	static char buf[1 << 16];
	unsigned long long total = 0;
	int one = 1, ls, c;
	FILE *keep = NULL;
	ssize_t n;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: tcp_sink PORT [FILE]\n");
		return 2;
	}
	if (argc == 3 && (keep = fopen(argv[2], "wb")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 1) != 0) {
		perror("tcp_sink");
		return 1;
	}
	c = accept(ls, NULL, NULL);
	if (c < 0) {
		perror("tcp_sink: accept");
		return 1;
	}
	while ((n = read(c, buf, sizeof(buf))) > 0) {
		total += (unsigned long long)n;
		if (keep != NULL && fwrite(buf, 1, (size_t)n, keep) != (size_t)n) {
			perror(argv[2]);
			return 1;
		}
	}
	if (keep != NULL && fclose(keep) != 0) {
		perror(argv[2]);
		return 1;
	}
	printf("%llu\n", total);
	close(c);
	close(ls);
	return 0;
}
