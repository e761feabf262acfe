// Wire formats: IPv4, IPv6, TCP (with options), UDP and ICMP headers.
#include <gtest/gtest.h>

#include "net/checksum.h"
#include "net/icmp.h"
#include "net/ipv4.h"
#include "net/ipv6.h"
#include "net/packet.h"
#include "net/tcp_header.h"
#include "net/udp_header.h"

namespace ms::net {
namespace {

TEST(Checksum, Rfc1071Example) {
  // The example from RFC 1071 section 3: 0001 f203 f4f5 f6f7 sums to ddf2.
  const uint8_t raw[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  const auto sum = checksum_add(std::as_bytes(std::span(raw)));
  EXPECT_EQ(sum, 0xddf2u);
  EXPECT_EQ(checksum_finish(sum), static_cast<uint16_t>(~0xddf2));
}

TEST(Ipv4Header, RoundTripsAndChecksums) {
  Ipv4Header h;
  h.total_length = 60;
  h.id = 77;
  h.protocol = kProtoTcp;
  h.src = *IpAddress::parse("127.0.0.1");
  h.dst = *IpAddress::parse("127.0.0.2");
  std::byte buf[Ipv4Header::kSize];
  h.encode(buf);
  EXPECT_EQ(internet_checksum(buf), 0);
  size_t hl = 0;
  auto d = Ipv4Header::decode(buf, &hl);
  ASSERT_TRUE(d);
  EXPECT_EQ(hl, 20u);
  EXPECT_EQ(d->total_length, 60);
  EXPECT_EQ(d->id, 77);
  EXPECT_EQ(d->src, h.src);
  EXPECT_EQ(d->dst, h.dst);
  EXPECT_TRUE(d->dont_fragment);
  buf[15] ^= std::byte{1};  // corrupt: the checksum no longer holds
  EXPECT_FALSE(Ipv4Header::decode(buf, &hl));
}

TEST(Ipv4Header, RejectsFragments) {
  Ipv4Header h;
  h.total_length = 40;
  h.src = IpAddress::v4(0x7f000001);
  h.dst = h.src;
  std::byte buf[Ipv4Header::kSize];
  h.encode(buf);
  buf[6] = std::byte{0x20};  // more fragments
  buf[10] = buf[11] = std::byte{0};
  const uint16_t sum = internet_checksum(buf);
  buf[10] = static_cast<std::byte>(sum >> 8);
  buf[11] = static_cast<std::byte>(sum);
  size_t hl = 0;
  EXPECT_FALSE(Ipv4Header::decode(buf, &hl));
}

TEST(Ipv6Header, RoundTrips) {
  Ipv6Header h;
  h.payload_length = 1234;
  h.next_header = kProtoUdp;
  h.flow_label = 0xabcde;
  h.src = IpAddress::loopback(IpVersion::kV6);
  h.dst = *IpAddress::parse("fe80::1");
  std::byte buf[Ipv6Header::kSize];
  h.encode(buf);
  auto d = Ipv6Header::decode(buf);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->payload_length, 1234);
  EXPECT_EQ(d->next_header, kProtoUdp);
  EXPECT_EQ(d->flow_label, 0xabcdeu);
  EXPECT_EQ(d->src, h.src);
  EXPECT_EQ(d->dst, h.dst);
}

TEST(TcpHeader, RoundTripsWithOptions) {
  TcpHeader h;
  h.src_port = 40000;
  h.dst_port = 80;
  h.seq = 0xfffffff0;
  h.ack = 12345;
  h.flags = tcp_flags::kSyn | tcp_flags::kAck;
  h.window = 65535;
  h.options.mss = 65495;
  h.options.window_scale = 7;
  h.options.sack_permitted = true;
  EXPECT_EQ(h.size(), 32u);
  std::byte buf[TcpHeader::kMaxSize];
  h.encode(buf);
  size_t hl = 0;
  auto d = TcpHeader::decode(std::span(buf, h.size()), &hl);
  ASSERT_TRUE(d);
  EXPECT_EQ(hl, 32u);
  EXPECT_EQ(d->seq, h.seq);
  EXPECT_EQ(d->ack, h.ack);
  EXPECT_EQ(d->flags, h.flags);
  EXPECT_EQ(d->options.mss, 65495);
  EXPECT_EQ(d->options.window_scale, 7);
  EXPECT_TRUE(d->options.sack_permitted);
  EXPECT_EQ(d->flag_names(), "SYN,ACK");
}

TEST(TcpHeader, SackBlocksFitTheOptionSpace) {
  TcpHeader h;
  h.flags = tcp_flags::kAck;
  h.options.sack_count = 4;
  for (uint32_t i = 0; i < 4; ++i)
    h.options.sack[i] = {i * 100, i * 100 + 50};
  EXPECT_LE(h.size(), TcpHeader::kMaxSize);
  std::byte buf[TcpHeader::kMaxSize];
  h.encode(buf);
  size_t hl = 0;
  auto d = TcpHeader::decode(std::span(buf, h.size()), &hl);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->options.sack_count, 4);
  EXPECT_EQ(d->options.sack[3], (SackBlock{300, 350}));
}

TEST(TcpHeader, RejectsMalformedOptions) {
  TcpHeader h;
  h.options.mss = 1000;
  std::byte buf[TcpHeader::kMaxSize];
  h.encode(buf);
  buf[21] = std::byte{40};  // MSS option claims to run past the header
  size_t hl = 0;
  EXPECT_FALSE(TcpHeader::decode(std::span(buf, h.size()), &hl));
  buf[21] = std::byte{4};
  buf[12] = std::byte{0x30};  // data offset 12 bytes: below the minimum
  EXPECT_FALSE(TcpHeader::decode(std::span(buf, h.size()), &hl));
}

TEST(UdpHeader, RoundTrips) {
  UdpHeader h{1000, 2000, 108};
  std::byte buf[UdpHeader::kSize];
  h.encode(buf);
  auto d = UdpHeader::decode(buf);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->src_port, 1000);
  EXPECT_EQ(d->dst_port, 2000);
  EXPECT_EQ(d->length, 108);
}

TEST(Packet, IpLayerChecksLengths) {
  Packet p;
  const auto a = IpAddress::loopback(IpVersion::kV4);
  const size_t n = write_ip_header(p, a, a, kProtoUdp, 8 + 3, 1);
  UdpHeader{1, 2, 11}.encode(p.header.data() + n);
  p.header_len = static_cast<uint16_t>(n + 8);
  p.payload = Payload::copy_of(std::as_bytes(std::span("abc", 3)));
  auto ip = parse_ip_header(p);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->transport_len, 11u);
  p.payload = {};  // now shorter than the IP header says
  EXPECT_FALSE(parse_ip_header(p));
}

TEST(Packet, MssOfTheLoopbackMtu) {
  // What Linux advertises on lo (MTU 65536): 65495 for IPv4 and 65476 for IPv6.
  EXPECT_EQ(max_transport_len(IpVersion::kV4, 65536) - 20, 65495u);
  EXPECT_EQ(max_transport_len(IpVersion::kV6, 65536) - 20, 65476u);
}

TEST(Icmp, PortUnreachableQuotesThePorts) {
  for (IpVersion v : {IpVersion::kV4, IpVersion::kV6}) {
    Packet orig;
    const auto a = IpAddress::loopback(v);
    const size_t n = write_ip_header(orig, a, a, kProtoUdp, 8, 1);
    UdpHeader{4321, 9999, 8}.encode(orig.header.data() + n);
    std::vector<std::byte> msg(IcmpUnreachable::kHeaderSize);
    encode_icmp_port_unreachable(v, msg.data());
    msg.insert(msg.end(), orig.header.begin(), orig.header.begin() + static_cast<ptrdiff_t>(n + 8));
    auto u = decode_icmp_unreachable(v, msg);
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->port_unreachable);
    EXPECT_EQ(u->protocol, kProtoUdp);
    EXPECT_EQ(u->src_port, 4321);
    EXPECT_EQ(u->dst_port, 9999);
    EXPECT_EQ(u->src, a);
  }
}

TEST(IpAddress, ParsesFormatsAndMaps) {
  auto a = IpAddress::parse("::ffff:127.0.0.1");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4_mapped());
  EXPECT_EQ(a->unmapped(), IpAddress::v4(0x7f000001));
  EXPECT_EQ(a->unmapped().mapped(), *a);
  EXPECT_TRUE(a->is_loopback());
  EXPECT_EQ(IpAddress::loopback(IpVersion::kV6).to_string(), "::1");
  EXPECT_TRUE(IpAddress::v4(0x7f000005).in_prefix(IpAddress::v4(0x7f000001), 8));
  EXPECT_FALSE(IpAddress::v4(0x0a000005).in_prefix(IpAddress::v4(0x7f000001), 8));
  EXPECT_FALSE(IpAddress::parse("1.2.3"));
}

}  // namespace
}  // namespace ms::net
