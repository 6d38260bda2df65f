/* placeholder */ typedef int gl_placeholder_broker;
