#!/usr/bin/perl
# The host-side `ipvsadm` of the IPVS lab VM: sends argv (and stdin for -R) to the VM's broker and
# reproduces the guest ipvsadm's stdout, stderr and exit status. Perl (always on Debian) because it
# starts in milliseconds; every test's ipvsadm call pays for it. Usage: client.pl SOCKET ARGS...
# Frames: a count, then `<byte length>\n<bytes>` fields (request: args, stdin; reply: out, err).
use strict;
use warnings;
use IO::Socket::UNIX;

my $socket_path = shift @ARGV;
my $stdin = '';
# Real ipvsadm reads stdin only when restoring, and -R must then be the first option.
if (@ARGV && $ARGV[0] =~ /^(-R|--restore$)/) {
    local $/;
    binmode STDIN;
    $stdin = <STDIN> // '';
}
my $broker = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $socket_path) or do {
    print STDERR "[ipvs-vm] cannot reach the VM at $socket_path: $!\n";
    exit 125;
};
binmode $broker;
my $request = scalar(@ARGV) . "\n";
$request .= length($_) . "\n" . $_ for (@ARGV, $stdin);
print {$broker} $request;
shutdown($broker, 1);
my $reply = do { local $/; <$broker> } // '';
my ($code, $rest) = split /\n/, $reply, 2;
my @fields;
for (1 .. 2) {
    my ($length, $tail) = split /\n/, $rest // '', 2;
    push @fields, substr($tail // '', 0, $length // 0);
    $rest = substr($tail // '', $length // 0);
}
binmode STDOUT;
binmode STDERR;
print STDOUT $fields[0];
print STDERR $fields[1];
exit($code // 125);
