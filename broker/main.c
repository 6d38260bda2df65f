/* placeholder */ typedef int gl_placeholder_main;
