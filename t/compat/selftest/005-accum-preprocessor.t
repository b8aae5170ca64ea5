# Self-test of the project's Test::Nginx::Socket runner (t/compat):
# check_accum_error_log() makes every log check read the whole error.log,
# and add_block_preprocessor() can add sections (the exact plan proves that
# the added header check ran: 2 + 2 + 3 = 7 subtests).
use Test::Nginx::Socket;

check_accum_error_log();
add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(response_headers => "X-Pre: yes") if defined $block->pre;
});

plan tests => 7;

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the second request's check still sees the first request's line
--- config
    location /files/ { root html; }
--- request eval
["GET /files/accum-missing", "GET /"]
--- error_code eval
[404, 200]
--- error_log
accum-missing



=== TEST 2: the preprocessor adds a response_headers check
--- config
    location = /t { add_header X-Pre yes; return 200 "ok"; }
--- pre
--- request
GET /t
--- response_body chomp
ok
