#!/usr/bin/perl
# The host-side tools of the kernel lab VM (`ipvsadm`, `mount`, ...): sends the tool, argv (and
# stdin for ipvsadm -R) to the VM's broker and reproduces the guest tool's stdout, stderr and exit
# status. Perl (always on Debian) because it starts in milliseconds; every test's tool call pays
# for it. Usage: client.pl SOCKET TOOL ARGS...
# Frames: a count, then `<byte length>\n<bytes>` fields (request: tool, args, stdin; reply: out, err).
use strict;
use warnings;
use IO::Socket::UNIX;

my $socket_path = shift @ARGV;
my $tool = $ARGV[0] // '';
my $stdin = '';
# Of the guest's tools only ipvsadm reads stdin, when restoring, and -R must then come first.
if ($tool eq 'ipvsadm' && @ARGV > 1 && $ARGV[1] =~ /^(-R|--restore$)/) {
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
