#!/usr/bin/perl
# shimclient.pl [--stdin] [--resize ROWS,COLS] [--for SECONDS] STATE_DIR REQUEST...
# A minimal client of the berth-shim attach protocol (shim/attach.h) for the
# shim tests: sends REQUEST, prints STDOUT/STDERR frames to stdout/stderr and
# exits with the code of the EXIT frame (125 and the message on FAIL).
# --stdin forwards our stdin then closes the container's; --for detaches
# (closes the socket) after SECONDS; --keep-open leaves the container's stdin
# open at our EOF; --print-ok prints the OK payload.
use strict;
use warnings;
use Socket;
use IO::Select;

my ($stdin, $resize, $for, $print_ok, $keep) = (0, undef, undef, 0, 0);
while (@ARGV && $ARGV[0] =~ /^--/) {
	my $o = shift @ARGV;
	if ($o eq '--stdin') { $stdin = 1 }
	elsif ($o eq '--resize') { $resize = shift @ARGV }
	elsif ($o eq '--for') { $for = shift @ARGV }
	elsif ($o eq '--print-ok') { $print_ok = 1 }
	elsif ($o eq '--keep-open') { $keep = 1 }
	else { die "shimclient: unknown option $o\n" }
}
my $dir = shift @ARGV or die "usage: shimclient.pl [opts] STATE_DIR REQUEST...\n";
my $req = join(' ', @ARGV);
socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
connect($s, pack_sockaddr_un("$dir/attach")) or die "shimclient: connect $dir/attach: $!\n";
binmode $s;
$| = 1;
sub frame { my ($t, $d) = @_; syswrite($s, pack('aN', $t, length $d) . $d) }
syswrite($s, "$req\n");
frame('R', pack('nn', split /,/, $resize)) if defined $resize;
my $sel = IO::Select->new($s);
$sel->add(\*STDIN) if $stdin;
my $buf = '';
my $got_ok = 0;
my $deadline = defined $for ? time + $for : undef;
while (1) {
	my $t = defined $deadline ? $deadline - time : undef;
	exit 0 if defined $t && $t <= 0;
	my @r = $sel->can_read(defined $t ? $t : undef);
	for my $fh (@r) {
		if ($fh == $s) {
			my $n = sysread($s, $buf, 65536, length $buf);
			exit($got_ok && $req =~ /^(kill|start)/ ? 0 : 124) unless $n;
			while (length $buf >= 5) {
				my ($type, $len) = unpack('aN', $buf);
				last if length $buf < 5 + $len;
				my $p = substr($buf, 5, $len);
				$buf = substr($buf, 5 + $len);
				if ($type eq 'O') { syswrite(STDOUT, $p) }
				elsif ($type eq 'E') { syswrite(STDERR, $p) }
				elsif ($type eq 'F') { print STDERR "shimclient: $p\n"; exit 125 }
				elsif ($type eq 'S') { $got_ok = 1; print "$p\n" if $print_ok }
				elsif ($type eq 'X') { my ($c) = split / /, $p; print STDERR "exit: $p\n"; exit $c }
			}
		} else {
			my $n = sysread(STDIN, my $d, 65536);
			if ($n) { frame('I', $d) } else { frame('C', '') unless $keep; $sel->remove(\*STDIN) }
		}
	}
}
