/* gl_preauth.c: an unauthenticated client that never finishes a ZMTP
 * handshake. It opens CONNS raw TCP connections to HOST:PORT, each sends a
 * ZMTP 3.0 greeting offering CURVE, and then:
 *
 *   big   announces one command frame of SIZE bytes (long-frame header, flags
 *         0x06) and sends its body, all but the last byte, as fast as the
 *         server takes it: a server that buffers frames before checking their
 *         size holds SIZE per connection until its handshake timer fires;
 *   slow  announces a 200-byte command frame and trickles its body, one byte
 *         every 250 ms, so that only a handshake timeout can end it.
 *
 * After HOLD_MS it prints, for every connection, how many bytes it sent and
 * when the server closed it (or that it is still open), then a last line
 * "closed N of CONNS, max T ms", and exits 0.
 *
 *   gl_preauth HOST PORT big|slow CONNS HOLD_MS [SIZE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define CHUNK     65536

struct conn {
    int fd;
    uint8_t head[64 + 9]; /* greeting + frame header */
    size_t head_len, head_sent;
    uint64_t body, body_sent; /* body bytes to send (all but the last) */
    uint64_t sent;
    int64_t closed_ms; /* -1 while open */
    int64_t next_trickle;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void build_head(struct conn *c, bool big, uint64_t size)
{
    uint8_t *g = c->head;
    memset(g, 0, sizeof c->head);
    g[0] = 0xff; /* signature: 0xff, 8 bytes padding, 0x7f */
    g[9] = 0x7f;
    g[10] = 3; /* version 3.0 */
    g[11] = 0;
    memcpy(g + 12, "CURVE", 5); /* mechanism, 20 bytes, null padded; as-server 0; filler */
    uint8_t *f = g + 64;
    if (big) {
        f[0] = 0x06; /* command, long size */
        for (int i = 0; i < 8; i++)
            f[1 + i] = (uint8_t)(size >> (56 - 8 * i));
        c->head_len = 64 + 9;
        c->body = size - 1;
    } else {
        f[0] = 0x04; /* command, short size */
        f[1] = 200;
        c->head_len = 64 + 2;
        c->body = 199;
    }
}

int main(int argc, char **argv)
{
    if (argc < 6 || argc > 7) {
        fprintf(stderr, "usage: gl_preauth HOST PORT big|slow CONNS HOLD_MS [SIZE]\n");
        return 2;
    }
    bool big = strcmp(argv[3], "big") == 0;
    if (!big && strcmp(argv[3], "slow") != 0) {
        fprintf(stderr, "gl_preauth: mode is big or slow\n");
        return 2;
    }
    int n = atoi(argv[4]);
    int64_t hold = atoll(argv[5]);
    uint64_t size = argc == 7 ? strtoull(argv[6], NULL, 10) : 64ull << 20;
    if (n < 1 || n > MAX_CONNS || hold < 1 || size < 2) {
        fprintf(stderr, "gl_preauth: 1..%d connections, HOLD_MS >= 1, SIZE >= 2\n", MAX_CONNS);
        return 2;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
        fprintf(stderr, "gl_preauth: %s is not an IPv4 address\n", argv[1]);
        return 2;
    }
    static uint8_t zeros[CHUNK], sink[CHUNK];
    struct conn c[MAX_CONNS];
    int64_t t0 = now_ms();
    for (int i = 0; i < n; i++) {
        memset(&c[i], 0, sizeof c[i]);
        c[i].closed_ms = -1;
        build_head(&c[i], big, size);
        c[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c[i].fd < 0 || connect(c[i].fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            fprintf(stderr, "gl_preauth: cannot connect to %s:%s: %s\n", argv[1], argv[2], strerror(errno));
            return 1;
        }
        fcntl(c[i].fd, F_SETFL, fcntl(c[i].fd, F_GETFL) | O_NONBLOCK);
    }
    struct pollfd pf[MAX_CONNS];
    for (;;) {
        int64_t now = now_ms();
        if (now - t0 >= hold)
            break;
        for (int i = 0; i < n; i++) {
            pf[i].fd = c[i].closed_ms < 0 ? c[i].fd : -1;
            pf[i].events = POLLIN;
            bool more = c[i].head_sent < c[i].head_len || (big && c[i].body_sent < c[i].body);
            if (more)
                pf[i].events |= POLLOUT;
            pf[i].revents = 0;
        }
        poll(pf, (nfds_t)n, 50);
        now = now_ms();
        for (int i = 0; i < n; i++) {
            struct conn *k = &c[i];
            if (k->closed_ms >= 0)
                continue;
            bool gone = false;
            if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t r = recv(k->fd, sink, sizeof sink, 0);
                gone = r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR);
            }
            const uint8_t *data = NULL;
            size_t len = 0;
            if (!gone && k->head_sent < k->head_len) {
                data = k->head + k->head_sent;
                len = k->head_len - k->head_sent;
            } else if (!gone && k->body_sent < k->body && (big || now >= k->next_trickle)) {
                data = zeros;
                len = big ? (k->body - k->body_sent < CHUNK ? (size_t)(k->body - k->body_sent) : CHUNK) : 1;
            }
            if (data) {
                ssize_t w = send(k->fd, data, len, MSG_NOSIGNAL);
                if (w > 0) {
                    k->sent += (uint64_t)w;
                    if (k->head_sent < k->head_len)
                        k->head_sent += (size_t)w;
                    else
                        k->body_sent += (uint64_t)w;
                    k->next_trickle = now + 250;
                } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    gone = true;
                }
            }
            if (gone)
                k->closed_ms = now - t0;
        }
    }
    int closed = 0;
    int64_t max_ms = 0;
    for (int i = 0; i < n; i++) {
        if (c[i].closed_ms >= 0) {
            closed++;
            if (c[i].closed_ms > max_ms)
                max_ms = c[i].closed_ms;
            printf("conn %d: sent %llu bytes, closed by the server after %lld ms\n", i, (unsigned long long)c[i].sent,
                   (long long)c[i].closed_ms);
        } else {
            printf("conn %d: sent %llu bytes, still open after %lld ms\n", i, (unsigned long long)c[i].sent,
                   (long long)hold);
        }
        close(c[i].fd);
    }
    printf("closed %d of %d, max %lld ms\n", closed, n, (long long)max_ms);
    return 0;
}
