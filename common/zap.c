/* placeholder */ typedef int gl_placeholder_zap;
