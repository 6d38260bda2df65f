/* home.h: the layout of a gridlink home directory.
 *
 *   HOME/topology.json        resolved topology (keys and endpoints filled in)
 *   HOME/keys/NAME.cert[_secret]
 *   HOME/data/NODE_ID/        one LMDB environment per node
 *   HOME/run/NODE_ID.sock     control socket of the process hosting NODE_ID
 *                             (a symlink to the process's own socket)
 *   HOME/log/NAME.log         output of each supervised process
 *   HOME/users/               the accounts people sign in with: one LMDB
 *                             environment any process of the home may open
 *                             (users.h)
 *
 * Path functions write into a caller buffer and return GL_EINVAL if it is too
 * small. */
#ifndef GL_HOME_H
#define GL_HOME_H

#include <stddef.h>

int gl_home_path(char *buf, size_t size, const char *home, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* mkdir -p with mode 0700 for the directory and missing parents. */
int gl_mkdir_p(const char *path);
/* Directory holding the running executable (for finding sibling binaries). */
int gl_exe_dir(char *buf, size_t size);
/* Load HOME/topology.json and check it against HOME (gl_topology_check_home);
 * see topology.h for errors. */
struct gl_topology;
int gl_home_topology(const char *home, struct gl_topology **out, char *err, size_t errlen);
/* For a process started by `gridlink up`: die with the supervisor. up puts
 * its PID in GRIDLINK_SUPERVISOR_PID; if that is set, ask the kernel for
 * SIGTERM when the parent goes away, and exit at once if it already has.
 * Does nothing for a process started any other way. */
void gl_supervised_init(void);
/* Current wall-clock time in ms since the epoch. */
long long gl_now_ms(void);

#endif
