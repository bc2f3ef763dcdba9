a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuvwx
m=audio 9 RTP/AVP 0
a=mid:0
a=candidate:1 1 udp 2113937151 127.0.0.1 50000 typ host generation 0
a=candidate:2 1 TCP 1518280447 127.0.0.1 9 typ host tcptype active
a=end-of-candidates
