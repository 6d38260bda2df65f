/* placeholder */ typedef int gl_placeholder_cmd_cases;
