/* placeholder */ typedef int gl_placeholder_cmd_watch;
