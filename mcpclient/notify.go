package mcpclient

import (
	"sync"
)

// maxQueuedNotifications bounds the callbacks waiting in a notifyQueue: a
// server can send notifications much faster than user callbacks take them.
const maxQueuedNotifications = 1024

// notifyQueue runs callbacks one at a time, in order, on its own
// goroutine, so slow user callbacks never block a transport's reader. At
// most maxQueuedNotifications wait; more are dropped and onDrop is called
// once (with the bound), so a flood costs one log line.
type notifyQueue struct {
	mu      sync.Mutex
	items   []func()
	onDrop  func(limit int)
	dropped bool
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}
}

func newNotifyQueue(onDrop func(limit int)) *notifyQueue {
	q := &notifyQueue{onDrop: onDrop, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go q.run()
	return q
}

func (q *notifyQueue) push(f func()) {
	q.mu.Lock()
	if len(q.items) >= maxQueuedNotifications {
		first := !q.dropped
		q.dropped = true
		q.mu.Unlock()
		if first && q.onDrop != nil {
			q.onDrop(maxQueuedNotifications)
		}
		return
	}
	q.items = append(q.items, f)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *notifyQueue) run() {
	defer close(q.done)
	for {
		q.mu.Lock()
		items := q.items
		q.items = nil
		q.mu.Unlock()
		for _, f := range items {
			select {
			case <-q.quit:
				return
			default:
			}
			f()
		}
		if len(items) > 0 {
			continue
		}
		select {
		case <-q.wake:
		case <-q.quit:
			return
		}
	}
}

func (q *notifyQueue) stop() {
	close(q.quit)
	<-q.done
}
