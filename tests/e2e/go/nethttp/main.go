// A net/http server and client in one process: the client makes 200 requests to the server
// over loopback and checks every response.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Query().Get("n"))
	})
	go http.Serve(ln, mux)
	url := "http://" + ln.Addr().String() + "/hello?n="
	ok := 0
	for i := 0; i < 200; i++ {
		resp, err := http.Get(fmt.Sprintf("%s%d", url, i))
		if err != nil {
			fmt.Println("request", i, ":", err)
			os.Exit(1)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) == fmt.Sprintf("hello %d", i) && resp.StatusCode == 200 {
			ok++
		}
	}
	fmt.Printf("%d of 200 requests answered correctly\n", ok)
}
