/* placeholder */ typedef int gl_placeholder_codec;
