/* placeholder */ typedef int gl_placeholder_node;
