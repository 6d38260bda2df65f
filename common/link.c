/* placeholder */ typedef int gl_placeholder_link;
